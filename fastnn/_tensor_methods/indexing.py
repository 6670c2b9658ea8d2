"""Tensor indexing: ``t[idx]`` and ``t[idx] = v``, and the index-driven methods (gather,
scatter, masked_fill, index_select, narrow, select, nonzero), plus cumsum/cumprod, roll
and tril/triu, whose Functions live with them in fastnn/ops/indexing.py.
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, Union

import numpy as np

from .._promotion import _raw
from ..autograd import grad_mode
from ..ops import arithmetic as _ops_ar
from ..ops import indexing as _ops_ix
from ..ops import shape as _ops_sh
from ..ops._util import norm_dim
from .shape import _int_list

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import DTypeLike, Number, TensorLike


def _index_one(i: Any) -> Any:
    if isinstance(i, Tensor):
        i = i._data
        if i.dtype.kind in "iu" and i.ndim == 0:
            return int(i)
        if i.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int or bool tensors")
        return i
    if isinstance(i, list):
        arr = np.asarray([_raw(v) for v in i])
        if arr.dtype.kind not in "iub":
            raise IndexError("lists used as indices must hold ints or bools")
        return arr
    return i


def _index_arg(idx: Any) -> Any:
    """An index as NumPy takes it: Tensors and lists inside become arrays or ints."""
    if isinstance(idx, tuple):
        return tuple(_index_one(i) for i in idx)
    return _index_one(idx)


class IndexingMethods:
    __slots__ = ()

    def __getitem__(self: Tensor, idx: Any) -> Tensor:
        idx = _index_arg(idx)
        out = _ops_sh.GetItem.apply(self, idx)
        if out._ctx is not None and out._ctx.basic:
            # A view, as in PyTorch: an in-place op on it under autograd writes back
            # into this tensor (``m[i][j] += 1``; see _rebind). Without autograd the
            # array is a NumPy view already.
            out._view_of = (self, idx)
        return out

    def __setitem__(self: Tensor, idx: Any, value: TensorLike) -> None:
        idx = _index_arg(idx)
        if grad_mode._state.record and (self.requires_grad or
                                        (isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace()
            if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
                value = value.to(self._data.dtype)
            out = _ops_sh.IndexPut.apply(self._snapshot(), idx, value)
            self._rebind(out)
            return
        self._data[idx] = _raw(value)

    def gather(self: Tensor, dim: int, index: Tensor) -> Tensor:
        """Picks ``self[..., index[i][j], ...]`` along ``dim`` (``out[i][j] = self[i][index[i][j]]`` for dim 1).

        Args:
            dim (int): the dim to index along.
            index (Tensor): int64 indices, with as many dims as this tensor.

        Example::

            >>> x = fastnn.tensor([[1, 2], [3, 4]])
            >>> x.gather(1, fastnn.tensor([[0, 0], [1, 0]]))
            tensor([[1, 1],
                    [4, 3]])
        """
        idx = _raw(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("gather(): Expected dtype int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("gather(): Index tensor must have the same number of dimensions as input")
        return _ops_sh.Gather.apply(self, idx, norm_dim(dim, self._data.ndim))

    def masked_fill(self: Tensor, mask: TensorLike, value: Union[Number, Tensor]) -> Tensor:
        """A copy with ``value`` where ``mask`` is True (``mask`` broadcasts).

        Args:
            mask (Tensor): a bool tensor.
            value (Number or Tensor): what to write where ``mask`` holds.

        Example::

            >>> x = fastnn.tensor([1.0, -2.0, 3.0])
            >>> x.masked_fill(x < 0, 0.0)
            tensor([1., 0., 3.])
        """
        m = _raw(mask)
        if isinstance(value, Tensor):
            from .._functions import where
            return where(mask, value.to(self._data.dtype), self)
        return _ops_ar.Where.apply(m, self._data.dtype.type(value), self)

    def masked_fill_(self: Tensor, mask: TensorLike, value: Union[Number, Tensor]) -> Tensor:
        if grad_mode._state.record and (self.requires_grad or
                                        (isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace()
            self._rebind(self._snapshot().masked_fill(mask, value))
            return self
        np.copyto(self._data, _raw(value), where=np.broadcast_to(_raw(mask), self._data.shape))
        return self

    def masked_select(self: Tensor, mask: TensorLike) -> Tensor:
        m = np.broadcast_to(_raw(mask), np.broadcast_shapes(self._data.shape, np.shape(_raw(mask))))
        return self.expand(m.shape)[Tensor._wrap(np.ascontiguousarray(m))]

    def index_select(self: Tensor, dim: int, index: Tensor) -> Tensor:
        """The entries at positions ``index`` along ``dim`` (a copy, in ``index``'s order).

        Args:
            dim (int): the dim to index.
            index (Tensor): a 1-D integer tensor of positions.

        Example::

            >>> x = fastnn.tensor([[1, 2, 3], [4, 5, 6]])
            >>> x.index_select(1, fastnn.tensor([2, 0]))
            tensor([[3, 1],
                    [6, 4]])
        """
        idx = _raw(index)
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise RuntimeError("index_select(): index must be a 1-D integer tensor")
        d = norm_dim(dim, self._data.ndim)
        return self[(slice(None),) * d + (Tensor._wrap(idx.reshape(-1)),)]

    def narrow(self: Tensor, dim: int, start: int, length: int) -> Tensor:
        d = norm_dim(dim, self._data.ndim)
        start = int(start) % self._data.shape[d] if start < 0 else int(start)
        return self[(slice(None),) * d + (slice(start, start + int(length)),)]

    def select(self: Tensor, dim: int, index: int) -> Tensor:
        d = norm_dim(dim, self._data.ndim)
        return self[(slice(None),) * d + (int(index),)]

    def _scatter(self: Tensor, dim: int, index: Tensor, src: Any, add: bool) -> Tensor:
        idx = _raw(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("scatter(): Expected dtype int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("scatter(): Index tensor must have the same number of dimensions "
                               "as self tensor")
        d = norm_dim(dim, self._data.ndim)
        if isinstance(src, Tensor):
            src = src if src._data.dtype == self._data.dtype else src.to(self._data.dtype)
        else:
            src = self._data.dtype.type(src)
        return _ops_ix.Scatter.apply(self, idx, src, d, add)

    def scatter(self: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None,
                reduce: Union[str, None] = None) -> Tensor:
        if src is None:
            src = value
        if reduce not in (None, "add"):
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported")
        return self._scatter(dim, index, src, reduce == "add")

    def scatter_add(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return self._scatter(dim, index, src, True)

    def index_fill(self: Tensor, dim: int, index: TensorLike, value: Number) -> Tensor:
        d = norm_dim(dim, self._data.ndim)
        mask = np.zeros(self._data.shape[d], bool)
        mask[_raw(index)] = True
        mask = mask.reshape((-1,) + (1,) * (self._data.ndim - d - 1))
        return self.masked_fill(np.broadcast_to(mask, self._data.shape), value)

    def nonzero(self: Tensor, as_tuple: bool = False) -> Union[Tensor, tuple[Tensor, ...]]:
        nz = np.nonzero(self._data if self._data.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in nz)
        return Tensor._wrap(np.stack(nz, axis=1).astype(np.int64) if nz else
                            np.zeros((0, 0), np.int64))

    # --- scans, rolls and triangles (fastnn/ops/indexing.py) -----------------------------
    def cumsum(self: Tensor, dim: int, dtype: DTypeLike = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "iub":
            x = x.to(np.int64)
        return _ops_ix.Cumsum.apply(x, norm_dim(dim, x._data.ndim))

    def cumprod(self: Tensor, dim: int, dtype: DTypeLike = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "iub":
            x = x.to(np.int64)
        return _ops_ix.Cumprod.apply(x, norm_dim(dim, x._data.ndim))

    def roll(self: Tensor, shifts: Union[int, Sequence[int]],
             dims: Union[int, Sequence[int], None] = None) -> Tensor:
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        sh = _int_list(shifts)
        ds = _int_list(dims)
        if len(sh) != len(ds):
            raise RuntimeError(f"roll: shifts ({len(sh)}) and dims ({len(ds)}) must align")
        axes = tuple(norm_dim(d, self._data.ndim) for d in ds)
        return _ops_ix.Roll.apply(self, tuple(int(v) for v in sh), axes)

    def tril(self: Tensor, diagonal: int = 0) -> Tensor:
        if self._data.ndim < 2:
            raise RuntimeError("tril: input tensor must have at least 2 dimensions")
        return _ops_ix.TriMask.apply(self, int(diagonal), False)

    def triu(self: Tensor, diagonal: int = 0) -> Tensor:
        if self._data.ndim < 2:
            raise RuntimeError("triu: input tensor must have at least 2 dimensions")
        return _ops_ix.TriMask.apply(self, int(diagonal), True)
