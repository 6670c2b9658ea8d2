"""Tensors made from a tensor: ``new_zeros`` / ``new_ones`` / ``new_full`` / ``new_tensor`` /
``new`` (in its dtype), the diagonal helpers (fastnn/_diag.py), the sparse COO form
(fastnn/sparse/), and the memory placement methods (pinned, shared).
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np

from .. import _diag
from .. import _legacy
from .. import _shared_memory
from .. import _sizes

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import DeviceLike, DTypeLike, Number


def _size_args(size: tuple[Any, ...], what: str = "size") -> tuple[int, ...]:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))``, checked to be non-negative ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (numbers.Integral,)) or s < 0:
            raise ValueError(f"{what}: expected non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def _alloc_size(name: str, size: tuple[Any, ...], dtype: DTypeLike,
                per_element: int = 0) -> tuple[int, ...]:
    """``size`` (ints or one sequence) as a shape whose array of ``dtype`` fits in
    memory, plus ``per_element`` bytes of temporaries (fastnn/_sizes.py)."""
    shape = _size_args(size, f"{name}: size")
    _sizes.check_alloc(f"{name}: size={shape}", shape, np.dtype(dtype).itemsize, per_element)
    return shape


def _one_size_arg(size: Any) -> tuple[Any, ...]:
    """A ``size`` argument (one int or a sequence) in the form _alloc_size takes."""
    return (size,) if isinstance(size, numbers.Integral) else (tuple(size),)


class CreationMethods:
    __slots__ = ()

    def new_zeros(self: Tensor, *size: Union[int, Sequence[int]], dtype: DTypeLike = None) -> Tensor:
        """A tensor of zeros of ``size``, in this tensor's dtype unless ``dtype`` is given.

        Example::

            >>> x = fastnn.tensor([1, 2])
            >>> x.new_zeros(2, 3)
            tensor([[0, 0, 0],
                    [0, 0, 0]])
        """
        dt = dtype or self._data.dtype
        return Tensor._wrap(np.zeros(_alloc_size("new_zeros", size, dt), dtype=dt))

    def new_ones(self: Tensor, *size: Union[int, Sequence[int]], dtype: DTypeLike = None) -> Tensor:
        dt = dtype or self._data.dtype
        return Tensor._wrap(np.ones(_alloc_size("new_ones", size, dt), dtype=dt))

    def new_empty(self: Tensor, *size: Union[int, Sequence[int]], dtype: DTypeLike = None) -> Tensor:
        dt = dtype or self._data.dtype
        return Tensor._wrap(np.empty(_alloc_size("new_empty", size, dt), dtype=dt))

    def new_full(self: Tensor, size: Union[int, Sequence[int]], fill_value: Number,
                 dtype: DTypeLike = None) -> Tensor:
        dt = dtype or self._data.dtype
        shape = _alloc_size("new_full", _one_size_arg(size), dt)
        return Tensor._wrap(np.full(shape, fill_value, dtype=dt))

    def new_tensor(self: Tensor, data: Any, dtype: DTypeLike = None, device: DeviceLike = None,
                   requires_grad: bool = False) -> Tensor:
        from .._factory import tensor
        return tensor(data, dtype=dtype or self._data.dtype, device=device,
                      requires_grad=requires_grad)

    def new(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """t.new(*sizes) / t.new(data): the legacy constructor in t's dtype."""
        return Tensor._wrap(_legacy.legacy_array(args, self._data.dtype, "new")).to(
            kwargs.get("device") or self.device)

    # --- diagonals (fastnn/_diag.py) and the sparse COO form (fastnn/sparse/) ------------
    def diag(self: Tensor, diagonal: int = 0) -> Tensor:
        return _diag.diag(self, diagonal)

    def diagonal(self: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return _diag.diagonal(self, offset, dim1, dim2)

    def diag_embed(self: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        return _diag.diag_embed(self, offset, dim1, dim2)

    def trace(self: Tensor) -> Tensor:
        return _diag.trace(self)

    def to_sparse(self: Tensor, sparse_dim: Optional[int] = None, *, layout: Any = None) -> Tensor:
        from ..sparse import to_sparse
        return to_sparse(self, sparse_dim, layout=layout)

    to_sparse_coo = to_sparse

    def to_dense(self: Tensor, dtype: DTypeLike = None, *, masked_grad: Optional[bool] = None) -> Tensor:
        return self if dtype is None else self.to(dtype)

    # --- memory placement: one process, so no pinned memory; shared memory for
    # multi-process (Hogwild) training lives in fastnn/_shared_memory.py -----------------
    def pin_memory(self: Tensor, device: DeviceLike = None) -> Tensor:
        return self

    def is_pinned(self: Tensor, device: DeviceLike = None) -> bool:
        return False

    def share_memory_(self: Tensor) -> Tensor:
        """Move this tensor's data into shared memory (in place; no-op if already there)."""
        return _shared_memory.share_memory_(self)

    def is_shared(self: Tensor) -> bool:
        return _shared_memory.is_shared(self)
