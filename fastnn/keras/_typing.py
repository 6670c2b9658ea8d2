"""Type aliases for the Keras front end's signatures (the layer files import them under
TYPE_CHECKING): what an activation, initializer or regularizer argument may be."""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, Union

from .._tensor import Tensor
from .initializers import Initializer
from .regularizers import Regularizer

#: a Keras activation name ("relu", "softmax" ...), a function Tensor -> Tensor, or None
ActivationArg = Union[str, Callable[[Tensor], Tensor], None]
#: a keras.initializers name, object or dict, or a function (shape, dtype) -> array
InitializerArg = Union[str, Initializer, dict, Callable[..., Any]]
#: a keras.regularizers name, object or dict, or None
RegularizerArg = Union[str, Regularizer, dict, Callable[..., Any], None]
#: one int for both axes, or a pair (rows, columns)
IntPair = Union[int, Tuple[int, int]]
#: one sample's shape (no batch axis), as a layer's input_shape=
ShapeArg = Optional[Tuple[int, ...]]
