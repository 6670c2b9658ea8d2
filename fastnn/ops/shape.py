"""Shape and indexing ops: reshape, permute, expand, repeat, cat, stack,
getitem/setitem, clone. Their backward moves the gradient back into the
input's layout (inverse permutation, sum over repeats, scatter-add of an index).
"""
import numpy as np

from ..autograd.function import Function
from ._util import sum_to


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape), None


class Permute(Function):
    def forward(self, a, perm):
        self.inv = tuple(np.argsort(perm))
        return a.transpose(perm)

    def backward(self, g):
        return g.transpose(self.inv), None


class SwapAxes(Function):
    def forward(self, a, d0, d1):
        self.d = (d0, d1)
        return np.swapaxes(a, d0, d1)

    def backward(self, g):
        return np.swapaxes(g, *self.d), None, None


class Expand(Function):
    def forward(self, a, shape):
        self.meta = (a.shape, a.dtype)
        return np.broadcast_to(a, shape)

    def backward(self, g):
        return sum_to(g, *self.meta), None


class Repeat(Function):
    def forward(self, a, reps):
        shape = (1,) * (len(reps) - a.ndim) + a.shape
        self.shape = a.shape
        self.full = shape
        self.reps = reps
        return np.tile(a.reshape(shape), reps)

    def backward(self, g):
        inter = []
        for r, s in zip(self.reps, self.full):
            inter += [r, s]
        g = g.reshape(inter).sum(axis=tuple(range(0, 2 * len(self.reps), 2)))
        return g.reshape(self.shape), None


class Flip(Function):
    def forward(self, a, axes):
        self.axes = axes
        return np.flip(a, axes)

    def backward(self, g):
        return np.flip(g, self.axes), None


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


class Cat(Function):
    """cat(tensors, dim): one positional arg per tensor so each gets a gradient."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        return np.concatenate(arrays, axis=axis)

    def backward(self, g):
        splits = np.cumsum(self.sizes)[:-1]
        parts = np.split(g, splits, axis=self.axis)
        return tuple(p.astype(dt, copy=False) if need else None
                     for p, dt, need in zip(parts, self.dtypes, self.needs_input_grad))


class Stack(Function):
    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.dtypes = [a.dtype for a in arrays]
        return np.stack(arrays, axis=axis)

    def backward(self, g):
        return tuple(np.take(g, i, axis=self.axis).astype(dt, copy=False) if need else None
                     for i, (dt, need) in enumerate(zip(self.dtypes, self.needs_input_grad)))


def is_basic_index(idx):
    """True when ``idx`` uses only ints, slices, None and Ellipsis (a view, no repeats)."""
    if isinstance(idx, tuple):
        return all(i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer))
                   and not isinstance(i, (bool, np.bool_)) for i in idx)
    return idx is None or idx is Ellipsis or (isinstance(idx, (int, slice, np.integer))
                                             and not isinstance(idx, (bool, np.bool_)))


class GetItem(Function):
    def forward(self, a, idx):
        self.meta = (a.shape, a.dtype)
        self.idx = idx
        self.basic = is_basic_index(idx)
        return a[idx]

    def backward(self, g):
        gx = np.zeros(*self.meta)
        if self.basic:
            gx[self.idx] = g
        else:
            # advanced indices may repeat an element: scatter-add
            np.add.at(gx, self.idx, g)
        return gx, None


class IndexPut(Function):
    """out = a with out[idx] = value (the graph-recording form of a[idx] = value)."""

    def forward(self, a, idx, value):
        self.idx = idx
        self.vmeta = (np.shape(value), np.result_type(value))
        out = a.copy()
        out[idx] = value
        return out

    def backward(self, g):
        na, _, nv = self.needs_input_grad
        ga = gv = None
        if na:
            ga = g.copy()
            ga[self.idx] = 0
        if nv:
            gv = sum_to(g[self.idx], *self.vmeta)
        return ga, None, gv


class Gather(Function):
    """out[i][j][k] = a[i][index[i][j][k]][k] (dim=1), PyTorch's gather."""

    def forward(self, a, index, axis):
        self.meta = (a.shape, a.dtype)
        self.axis = axis
        sl = tuple(slice(0, s) if d != axis else slice(None) for d, s in enumerate(index.shape))
        self.grid = None
        self.index = index
        self.sl = sl
        return np.take_along_axis(a[sl], index, axis)

    def backward(self, g):
        gx = np.zeros(*self.meta)
        grid = list(np.indices(self.index.shape, sparse=True))
        grid[self.axis] = self.index
        np.add.at(gx, tuple(grid), g)
        return gx, None, None
