"""Tensor reductions: sum, mean, var/std, prod, max/min (with indices), argmax,
all/any, norm, logsumexp, softmax, and the orderings sort / argsort / topk.

``dim`` is one dim, a tuple of dims or None (all); ``keepdim`` keeps reduced dims as
size 1. max/min/sort/topk with a dim return (values, indices) like torch.return_types.
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .._promotion import _floatify
from ..ops import reduction as _ops_red
from ..ops._util import norm_dim, norm_dims

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import DimLike, DTypeLike

_Sum = _ops_red.Sum.apply
_Mean = _ops_red.Mean.apply


class _ReturnTypes(tuple):
    """(values, indices) with attribute access, like torch.return_types.max."""
    __slots__ = ()
    _name = "max"

    def __new__(cls, values: Tensor, indices: Tensor) -> _ReturnTypes:
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]

    def __repr__(self) -> str:
        return f"fastnn.return_types.{self._name}(values={self[0]!r}, indices={self[1]!r})"


class _MaxResult(_ReturnTypes):
    __slots__ = ()
    _name = "max"


class _MinResult(_ReturnTypes):
    __slots__ = ()
    _name = "min"


class _SortResult(_ReturnTypes):
    __slots__ = ()
    _name = "sort"


class _TopkResult(_ReturnTypes):
    __slots__ = ()
    _name = "topk"


def _arg_extreme(t: Tensor, dim: Optional[int], keepdim: bool, fn: Any) -> Tensor:
    a = t._data
    if dim is None:
        out = np.asarray(fn(a))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
        return Tensor._wrap(out.astype(np.int64))
    axis = norm_dim(dim, a.ndim)
    if a.ndim == 0:
        return Tensor._wrap(np.zeros((), np.int64))
    return Tensor._wrap(np.asarray(fn(a, axis=axis, keepdims=keepdim)).astype(np.int64, copy=False))


def _correction(unbiased: Optional[bool], correction: Optional[float]) -> float:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


class ReductionMethods:
    __slots__ = ()

    def sum(self: Tensor, dim: DimLike = None, keepdim: bool = False,
            dtype: DTypeLike = None) -> Tensor:
        """Sums the elements over ``dim`` (all of them by default).

        Bools and ints sum to int64, as in PyTorch.

        Args:
            dim (int or tuple of ints, optional): the dims to reduce. Default: all.
            keepdim (bool): keep the reduced dims with size 1. Default: False.
            dtype (fastnn.dtype, optional): cast to this dtype before summing.

        Example::

            >>> x = fastnn.tensor([[1.0, 2.0], [3.0, 4.0]])
            >>> x.sum()
            tensor(10.)
            >>> x.sum(dim=0)
            tensor([4., 6.])
            >>> x.sum(1, keepdim=True).shape
            (2, 1)
        """
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind == "b":
            x = x.to(np.int64)
        return _Sum(x, norm_dims(dim, x._data.ndim), keepdim)

    def mean(self: Tensor, dim: DimLike = None, keepdim: bool = False,
             dtype: DTypeLike = None) -> Tensor:
        """The mean of the elements over ``dim`` (all of them by default); floats only.

        Args:
            dim (int or tuple of ints, optional): the dims to reduce. Default: all.
            keepdim (bool): keep the reduced dims with size 1. Default: False.
            dtype (fastnn.dtype, optional): cast to this dtype first.

        Example::

            >>> x = fastnn.tensor([[1.0, 2.0], [3.0, 4.0]])
            >>> x.mean()
            tensor(2.5000)
            >>> x.mean(dim=1)
            tensor([1.5000, 3.5000])
        """
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be a floating "
                               f"point type, but got {x._data.dtype}")
        return _Mean(x, norm_dims(dim, x._data.ndim), keepdim)

    def var(self: Tensor, dim: Union[DimLike, bool] = None, unbiased: Optional[bool] = None,
            keepdim: bool = False, *, correction: Optional[float] = None) -> Tensor:
        """The variance over ``dim`` (all elements by default), divided by N - correction.

        Args:
            dim (int or tuple of ints, optional): the dims to reduce. Default: all.
            unbiased (bool, optional): the older spelling: True is correction=1, False 0.
            keepdim (bool): keep the reduced dims with size 1. Default: False.
            correction (float, optional): subtracted from N in the divisor. Default: 1.

        Example::

            >>> x = fastnn.tensor([1.0, 2.0, 3.0, 4.0])
            >>> x.var()
            tensor(1.6667)
            >>> x.var(correction=0)
            tensor(1.2500)
        """
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _ops_red.Var.apply(self, norm_dims(dim, self._data.ndim), keepdim,
                                  _correction(unbiased, correction))

    def std(self: Tensor, dim: Union[DimLike, bool] = None, unbiased: Optional[bool] = None,
            keepdim: bool = False, *, correction: Optional[float] = None) -> Tensor:
        """The standard deviation over ``dim``: the square root of :meth:`var` (same arguments).

        Example::

            >>> fastnn.tensor([[1.0, 3.0], [2.0, 6.0]]).std(dim=1)
            tensor([1.4142, 2.8284])
        """
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _ops_red.Std.apply(self, norm_dims(dim, self._data.ndim), keepdim,
                                  _correction(unbiased, correction))

    def prod(self: Tensor, dim: Optional[int] = None, keepdim: bool = False,
             dtype: DTypeLike = None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        axis = None if dim is None else norm_dim(dim, x._data.ndim)
        return _ops_red.Prod.apply(x, axis, keepdim)

    def _extreme(self: Tensor, dim: Any, keepdim: bool, is_max: bool) -> Any:
        if isinstance(dim, Tensor):
            return self.maximum(dim) if is_max else self.minimum(dim)
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0")
            return _ops_red.Extreme.apply(self, is_max)
        axis = norm_dim(dim, self._data.ndim)
        a = self._data if self._data.ndim else self._data.reshape(1)
        idx = (np.argmax if is_max else np.argmin)(a, axis=axis, keepdims=True)
        values = _ops_red.SelectAlong.apply(self if self._data.ndim else self.reshape(1), idx, axis,
                                            keepdim or self._data.ndim == 0)
        if self._data.ndim == 0:
            values = values.reshape(())
            idx = idx.reshape(())
        elif not keepdim:
            idx = np.squeeze(idx, axis)
        cls = _MaxResult if is_max else _MinResult
        return cls(values, Tensor._wrap(idx))

    def max(self: Tensor, dim: Union[int, Tensor, None] = None, keepdim: bool = False) -> Any:
        """The largest element; with ``dim``, (values, indices) along it; with a Tensor, the
        elementwise maximum.

        Args:
            dim (int or Tensor, optional): the dim to reduce, or a tensor to compare with.
            keepdim (bool): keep the reduced dim with size 1. Default: False.

        Example::

            >>> x = fastnn.tensor([[1.0, 5.0], [7.0, 2.0]])
            >>> x.max()
            tensor(7.)
            >>> values, indices = x.max(dim=1)
            >>> values, indices
            (tensor([5., 7.]), tensor([1, 0]))
        """
        return self._extreme(dim, keepdim, True)

    def min(self: Tensor, dim: Union[int, Tensor, None] = None, keepdim: bool = False) -> Any:
        return self._extreme(dim, keepdim, False)

    def amax(self: Tensor, dim: DimLike = (), keepdim: bool = False) -> Tensor:
        dims = norm_dims(dim if dim != () else None, self._data.ndim)
        return _ops_red.AmaxAmin.apply(self, dims, keepdim, True)

    def amin(self: Tensor, dim: DimLike = (), keepdim: bool = False) -> Tensor:
        dims = norm_dims(dim if dim != () else None, self._data.ndim)
        return _ops_red.AmaxAmin.apply(self, dims, keepdim, False)

    def argmax(self: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
        """The index of the largest element (of the flattened tensor unless ``dim`` is given).

        Args:
            dim (int, optional): the dim to reduce. Default: None (flattened).
            keepdim (bool): keep the reduced dim with size 1. Default: False.

        Example::

            >>> x = fastnn.tensor([[1.0, 5.0], [7.0, 2.0]])
            >>> x.argmax()
            tensor(2)
            >>> x.argmax(dim=1)
            tensor([1, 0])
        """
        return _arg_extreme(self, dim, keepdim, np.argmax)

    def argmin(self: Tensor, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
        return _arg_extreme(self, dim, keepdim, np.argmin)

    def all(self: Tensor, dim: DimLike = None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(self._data.all(axis=None if dim is None else
                                                     norm_dims(dim, self._data.ndim),
                                                     keepdims=keepdim)))

    def any(self: Tensor, dim: DimLike = None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(self._data.any(axis=None if dim is None else
                                                     norm_dims(dim, self._data.ndim),
                                                     keepdims=keepdim)))

    def norm(self: Tensor, p: Union[float, str, None] = "fro", dim: DimLike = None,
             keepdim: bool = False) -> Tensor:
        if p == "fro" or p is None:
            p = 2
        elif p == "nuc":
            raise NotImplementedError("norm: p='nuc' is not supported")
        return _ops_red.Norm.apply(_floatify(self), float(p), norm_dims(dim, self._data.ndim), keepdim)

    def softmax(self: Tensor, dim: int) -> Tensor:
        """``exp(x) / exp(x).sum(dim)``: along ``dim``, the values become positive and sum to 1.

        Args:
            dim (int): the dim along which the values sum to 1.

        Example::

            >>> fastnn.tensor([[1.0, 1.0], [0.0, 2.0]]).softmax(dim=1)
            tensor([[0.5000, 0.5000],
                    [0.1192, 0.8808]])
        """
        from ..nn import functional as F
        return F.softmax(self, dim)

    def log_softmax(self: Tensor, dim: int) -> Tensor:
        from ..nn import functional as F
        return F.log_softmax(self, dim)

    def logsumexp(self: Tensor, dim: DimLike, keepdim: bool = False) -> Tensor:
        x = _floatify(self)
        dims = norm_dims(dim, x._data.ndim)
        m = np.max(x._data, axis=dims, keepdims=True) if x._data.size else \
            np.zeros([1] * x._data.ndim, x._data.dtype)
        m = np.where(np.isfinite(m), m, 0).astype(x._data.dtype)
        out = (x - Tensor._wrap(m)).exp().sum(dims, keepdim=True).log() + Tensor._wrap(m)
        return out if keepdim else out.squeeze(dims) if x._data.ndim else out

    # --- orderings ---------------------------------------------------------------------
    def sort(self: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """The values sorted along ``dim``, and their indices in this tensor.

        Args:
            dim (int): the dim to sort along. Default: -1.
            descending (bool): largest first. Default: False.
            stable (bool): keep the order of equal values (fastnn always does). Default: False.

        Example::

            >>> values, indices = fastnn.tensor([3.0, 1.0, 2.0]).sort()
            >>> values, indices
            (tensor([1., 2., 3.]), tensor([1, 2, 0]))
        """
        a = self._data if self._data.ndim else self._data.reshape(1)
        d = norm_dim(dim, a.ndim)
        # a stable sort, also for descending (ties keep their order, as PyTorch's
        # stable=True; torch's default may order ties differently, values agree)
        idx = np.argsort(-a if descending and a.dtype.kind != "b" else
                         (~a if descending else a), axis=d, kind="stable")
        if descending and a.dtype.kind in "f":
            nan = np.isnan(np.take_along_axis(a, idx, d))  # NaN sorts as largest, like torch
            if nan.any():
                idx = np.argsort(np.where(np.isnan(a), -np.inf, -a), axis=d, kind="stable")
        src = self if self._data.ndim else self.reshape(1)
        values = _ops_red.SelectAlong.apply(src, idx, d, True)
        if not self._data.ndim:
            values, idx = values.reshape(()), idx.reshape(())
        return _SortResult(values, Tensor._wrap(idx.astype(np.int64, copy=False)))

    def argsort(self: Tensor, dim: int = -1, descending: bool = False,
                stable: bool = False) -> Tensor:
        return self.sort(dim, descending, stable)[1]

    def topk(self: Tensor, k: int, dim: int = -1, largest: bool = True,
             sorted: bool = True) -> Any:
        """The ``k`` largest (or smallest) values along ``dim``, and their indices.

        Args:
            k (int): how many values.
            dim (int): the dim to search. Default: -1.
            largest (bool): the largest values; False for the smallest. Default: True.
            sorted (bool): return them in order (fastnn always does). Default: True.

        Example::

            >>> fastnn.tensor([1.0, 5.0, 3.0, 4.0]).topk(2)
            fastnn.return_types.topk(values=tensor([5., 4.]), indices=tensor([1, 3]))
        """
        a = self._data if self._data.ndim else self._data.reshape(1)
        d = norm_dim(dim, a.ndim)
        k = int(k)
        if not 0 <= k <= a.shape[d]:
            raise RuntimeError(f"topk: k ({k}) out of range for dimension {dim} of size {a.shape[d]}")
        key = -a if largest and a.dtype.kind != "b" else a
        idx = np.take(np.argsort(key, axis=d, kind="stable"), np.arange(k), axis=d)
        src = self if self._data.ndim else self.reshape(1)
        values = _ops_red.SelectAlong.apply(src, idx, d, True)
        return _TopkResult(values, Tensor._wrap(idx.astype(np.int64, copy=False)))
