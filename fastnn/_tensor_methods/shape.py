"""Tensor shape methods: views and copies that rearrange elements without computing
(reshape/view, squeeze/unsqueeze, flatten, permute/transpose, expand, repeat, flip,
split/chunk/unbind, movedim, contiguous/clone).

As in PyTorch, reshape/permute/expand give views when the memory allows; the
Functions behind them (fastnn/ops/shape.py) route gradients back through the view.
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Iterator, Sequence, Union

from .. import _sizes
from ..ops import shape as _ops_sh
from ..ops._util import norm_dim, norm_dims

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import DimLike

_Reshape = _ops_sh.Reshape.apply


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given as ``f(2, 3)`` or ``f((2, 3))``, as a tuple of ints."""
    sizes = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return tuple(int(s) for s in sizes)


def _int_list(v: Any) -> list[Any]:
    """One int (a Python or NumPy integer) or a sequence of them, as a list."""
    return [v] if isinstance(v, numbers.Integral) else list(v)


class ShapeMethods:
    __slots__ = ()

    def reshape(self: Tensor, *shape: Union[int, Sequence[int]]) -> Tensor:
        """This tensor's elements in a new shape; one size may be -1 (inferred).

        A view when the memory allows it (as in PyTorch), else a copy.

        Args:
            *shape (ints or a tuple of ints): the new shape.

        Example::

            >>> x = fastnn.arange(6)
            >>> x.reshape(2, 3)
            tensor([[0, 1, 2],
                    [3, 4, 5]])
            >>> x.reshape((3, -1)).shape
            (3, 2)
        """
        new = _shape_arg(shape)
        if new == self._data.shape:
            return self
        return _Reshape(self, new)

    def view(self: Tensor, *shape: Any) -> Tensor:
        """This tensor's elements in a new shape, as :meth:`reshape` (fastnn does not
        require contiguity); ``view(dtype)`` converts to ``dtype``.

        Args:
            *shape (ints or a tuple of ints): the new shape; one size may be -1.

        Example::

            >>> x = fastnn.zeros(4, 4)
            >>> x.view(16).shape
            (16,)
            >>> x.view(-1, 8).shape
            (2, 8)
        """
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) and not \
                isinstance(shape[0], (numbers.Integral,)):
            return self.to(shape[0])  # view(dtype) is not a reinterpretation here
        return self.reshape(*shape)

    def view_as(self: Tensor, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self: Tensor, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merges dims ``start_dim`` to ``end_dim`` into one.

        Args:
            start_dim (int): the first dim to flatten. Default: 0.
            end_dim (int): the last dim to flatten. Default: -1.

        Example::

            >>> x = fastnn.zeros(2, 3, 4)
            >>> x.flatten().shape
            (24,)
            >>> x.flatten(1).shape
            (2, 12)
        """
        nd = self._data.ndim
        if nd == 0:
            return self.reshape(1)
        s = norm_dim(start_dim, nd, "start_dim")
        e = norm_dim(end_dim, nd, "end_dim")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:
            return self
        shp = self._data.shape
        return self.reshape(shp[:s] + (-1 if 0 not in shp[s:e + 1] else 0,) + shp[e + 1:])

    def unflatten(self: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
        shp = self._data.shape
        d = norm_dim(dim, len(shp))
        return self.reshape(shp[:d] + tuple(sizes) + shp[d + 1:])

    def squeeze(self: Tensor, dim: DimLike = None) -> Tensor:
        """Removes dims of size 1 (all of them, or those in ``dim``).

        Args:
            dim (int or tuple of ints, optional): the dims to remove if their size is 1.

        Example::

            >>> x = fastnn.zeros(2, 1, 3, 1)
            >>> x.squeeze().shape
            (2, 3)
            >>> x.squeeze(1).shape
            (2, 3, 1)
        """
        shp = self._data.shape
        if dim is None:
            new = tuple(s for s in shp if s != 1)
        else:
            dims = norm_dims(dim, len(shp))
            new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
        return self if new == shp else _Reshape(self, new)

    def unsqueeze(self: Tensor, dim: int) -> Tensor:
        """Inserts a dim of size 1 at position ``dim``.

        Args:
            dim (int): where the new dim goes, in ``[-ndim - 1, ndim]``.

        Example::

            >>> x = fastnn.tensor([1, 2, 3])
            >>> x.unsqueeze(0).shape
            (1, 3)
            >>> x.unsqueeze(-1).shape
            (3, 1)
        """
        shp = self._data.shape
        n = len(shp) + 1
        if not -n <= dim < n:
            raise IndexError(f"unsqueeze: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {dim})")
        d = dim % n
        return _Reshape(self, shp[:d] + (1,) + shp[d:])

    def permute(self: Tensor, *dims: Union[int, Sequence[int]]) -> Tensor:
        """The same elements with the dims reordered (a view).

        Args:
            *dims (ints or a tuple of ints): the new order of the dims.

        Example::

            >>> x = fastnn.zeros(2, 3, 5)
            >>> x.permute(2, 0, 1).shape
            (5, 2, 3)
        """
        perm_arg = _shape_arg(dims)
        nd = self._data.ndim
        if len(perm_arg) != nd:
            raise RuntimeError(f"permute: number of dims don't match ({len(perm_arg)} given for a "
                               f"{nd}-D tensor)")
        perm = tuple(norm_dim(d, nd) for d in perm_arg)
        if len(set(perm)) != nd:
            raise RuntimeError("permute: repeated dim")
        return _ops_sh.Permute.apply(self, perm)

    def transpose(self: Tensor, dim0: int, dim1: int) -> Tensor:
        """Swaps dims ``dim0`` and ``dim1`` (a view).

        Args:
            dim0 (int): the first dim to swap.
            dim1 (int): the second dim to swap.

        Example::

            >>> x = fastnn.tensor([[1, 2, 3], [4, 5, 6]])
            >>> x.transpose(0, 1)
            tensor([[1, 4],
                    [2, 5],
                    [3, 6]])
        """
        nd = self._data.ndim
        if nd == 0:
            return self
        d0, d1 = norm_dim(dim0, nd), norm_dim(dim1, nd)
        if d0 == d1:
            return self
        return _ops_sh.SwapAxes.apply(self, d0, d1)

    swapaxes = transpose

    def t(self: Tensor) -> Tensor:
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return self.transpose(0, 1) if self._data.ndim == 2 else self

    @property
    def T(self: Tensor) -> Tensor:
        nd = self._data.ndim
        return self if nd < 2 else self.permute(*range(nd - 1, -1, -1))

    @property
    def mT(self: Tensor) -> Tensor:
        return self.transpose(-2, -1)

    def expand(self: Tensor, *sizes: Union[int, Sequence[int]]) -> Tensor:
        """This tensor broadcast to a larger shape without copying; -1 keeps a size.

        Args:
            *sizes (ints or a tuple of ints): the new shape; only size-1 dims grow.

        Example::

            >>> fastnn.tensor([[1], [2]]).expand(2, 3)
            tensor([[1, 1, 1],
                    [2, 2, 2]])
        """
        want = _shape_arg(sizes)
        shp = self._data.shape
        lead = len(want) - len(shp)
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(want)}) must be greater "
                               f"or equal to the number of dimensions in the tensor ({len(shp)})")
        out = []
        for i, s in enumerate(want):
            if s == -1:
                if i < lead:
                    raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
                s = shp[i - lead]
            elif i >= lead and shp[i - lead] != 1 and shp[i - lead] != s:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the "
                                   f"existing size ({shp[i - lead]}) at non-singleton dimension {i}. "
                                   f"Target sizes: {list(want)}. Tensor sizes: {list(shp)}")
            out.append(s)
        new = tuple(out)
        if new == shp:
            return self
        # A view, as in PyTorch: large is fine, nothing is allocated. Only a shape
        # NumPy cannot index (more than 2**63 bytes) or a negative size is refused.
        _sizes.check_shape(f"expand: sizes={list(want)}", new)
        if math.prod(new) * self._data.itemsize >= 2 ** 63:
            raise ValueError(f"expand: sizes={list(want)} give more elements than an array "
                             "can index (2**63 bytes)")
        return _ops_sh.Expand.apply(self, new)

    def expand_as(self: Tensor, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def broadcast_to(self: Tensor, shape: Sequence[int]) -> Tensor:
        return self.expand(*shape)

    def repeat(self: Tensor, *sizes: Union[int, Sequence[int]]) -> Tensor:
        """This tensor tiled ``sizes[i]`` times along dim i (a copy; extra sizes add leading dims).

        Args:
            *sizes (ints or a tuple of ints): the repeats per dim.

        Example::

            >>> fastnn.tensor([1, 2]).repeat(2, 2)
            tensor([[1, 2, 1, 2],
                    [1, 2, 1, 2]])
        """
        return self._repeat("repeat", _shape_arg(sizes))

    def _repeat(self: Tensor, name: str, sizes: tuple[int, ...]) -> Tensor:
        if len(sizes) < self._data.ndim:
            raise RuntimeError(f"{name}: number of dimensions of repeat dims can not be smaller "
                               "than number of dimensions of tensor")
        _sizes.check_shape(f"{name}: sizes={list(sizes)}", sizes)
        shp = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        _sizes.check_alloc(f"{name}: sizes={list(sizes)}", tuple(a * r for a, r in zip(shp, sizes)),
                           self._data.itemsize, like=self._data)
        return _ops_sh.Repeat.apply(self, sizes)

    def tile(self: Tensor, *dims: Union[int, Sequence[int]]) -> Tensor:
        reps = _shape_arg(dims)
        return self._repeat("tile", (1,) * (self._data.ndim - len(reps)) + reps)

    def flip(self: Tensor, *dims: Union[int, Sequence[int]]) -> Tensor:
        return _ops_sh.Flip.apply(self, norm_dims(_shape_arg(dims), self._data.ndim))

    def movedim(self: Tensor, source: Union[int, Sequence[int]],
                destination: Union[int, Sequence[int]]) -> Tensor:
        nd = self._data.ndim
        src = [norm_dim(d, nd) for d in _int_list(source)]
        dst = [norm_dim(d, nd) for d in _int_list(destination)]
        order = [d for d in range(nd) if d not in src]
        for s_, d_ in sorted(zip(dst, src)):
            order.insert(s_, d_)
        return self.permute(*order)

    moveaxis = movedim

    def contiguous(self: Tensor) -> Tensor:
        """This tensor if its memory is C-contiguous, else a contiguous copy.

        Example::

            >>> x = fastnn.zeros(2, 3).t()
            >>> x.is_contiguous(), x.contiguous().is_contiguous()
            (False, True)
        """
        if self._data.flags.c_contiguous:
            return self
        return _ops_sh.Clone.apply(self)

    def clone(self: Tensor) -> Tensor:
        """A copy of this tensor with its own memory; gradients flow back to this one.

        Example::

            >>> a = fastnn.tensor([1.0, 2.0])
            >>> b = a.clone()
            >>> b[0] = 5.0
            >>> a, b
            (tensor([1., 2.]), tensor([5., 2.]))
        """
        return _ops_sh.Clone.apply(self)

    # --- pieces --------------------------------------------------------------------------
    def split(self: Tensor, split_size_or_sections: Union[int, Sequence[int]],
              dim: int = 0) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along ``dim``: of one size each (the last may be
        smaller), or of the listed sizes.

        Args:
            split_size_or_sections (int or list of ints): the piece size, or the sizes.
            dim (int): the dim to split. Default: 0.

        Example::

            >>> x = fastnn.arange(5)
            >>> x.split(2)
            (tensor([0, 1]), tensor([2, 3]), tensor([4]))
            >>> [p.tolist() for p in x.split([1, 4])]
            [[0], [1, 2, 3, 4]]
        """
        d = norm_dim(dim, self._data.ndim)
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, numbers.Integral):
            step = int(split_size_or_sections)
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = _int_list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} do not sum to {n} along dim {dim}")
        out, start = [], 0
        pre = (slice(None),) * d
        for s in sizes:
            out.append(self[pre + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def chunk(self: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller).

        Example::

            >>> [c.shape for c in fastnn.zeros(6, 2).chunk(3)]
            [(2, 2), (2, 2), (2, 2)]
        """
        n = self._data.shape[norm_dim(dim, self._data.ndim)]
        return self.split(max(1, -(-n // chunks)), dim)

    def unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, each without that dim.

        Example::

            >>> fastnn.tensor([[1, 2], [3, 4]]).unbind(1)
            (tensor([1, 3]), tensor([2, 4]))
        """
        d = norm_dim(dim, self._data.ndim)
        pre = (slice(None),) * d
        return tuple(self[pre + (i,)] for i in range(self._data.shape[d]))

    def __iter__(self: Tensor) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))
