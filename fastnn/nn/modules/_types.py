"""Type aliases for layer arguments (PyTorch's torch.nn.common_types): an int, or
one int per spatial dimension."""
from __future__ import annotations

from typing import Tuple, TypeVar, Union

T = TypeVar("T")
_scalar_or_tuple_any_t = Union[T, Tuple[T, ...]]
_size_any_t = _scalar_or_tuple_any_t[int]
_size_1_t = Union[int, Tuple[int]]
_size_2_t = Union[int, Tuple[int, int]]
_size_3_t = Union[int, Tuple[int, int, int]]
_size_2_opt_t = Union[int, None, Tuple[Union[int, None], Union[int, None]]]
_ratio_any_t = Union[float, Tuple[float, ...]]
