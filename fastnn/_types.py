"""Type aliases used in fastnn's annotations (imported under ``TYPE_CHECKING`` only)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, Union

import numpy as np

if TYPE_CHECKING:
    from ._tensor import Tensor
    from .device import device

# A dtype as PyTorch code names it: fastnn.float32 (a NumPy dtype), np.float32, "float32".
DTypeLike = Union[np.dtype, type, str, None]
# A device: "cpu", "cuda:0", a fastnn.device, or a CUDA index.
DeviceLike = Union[str, "device", int, None]
# Sizes given as one int or a sequence of ints.
ShapeLike = Union[int, Sequence[int]]
# A dim argument: one dim, several, or None for all.
DimLike = Union[int, Sequence[int], None]
# The other operand of a Tensor op: a Tensor, a Python or NumPy number, an array.
TensorLike = Union["Tensor", int, float, bool, np.ndarray, np.generic, Sequence[Any]]
Number = Union[int, float, bool]
