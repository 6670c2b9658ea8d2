"""Diagonals: diag (vector <-> matrix), diagonal (a view of a diagonal), diag_embed.

Each is a Function on arrays with its backward: what a diagonal reads, the
gradient writes back at the same positions, and the other way round. Arrays
may be NumPy or CuPy (the array's own module does the work).
"""
import numpy as np

from ..autograd.function import Function
from .rnn import array_module


def _diag_positions(shape, offset):
    """(rows, cols) of the ``offset`` diagonal of a matrix of ``shape``."""
    m, n = shape
    start_r, start_c = max(-offset, 0), max(offset, 0)
    length = max(0, min(m - start_r, n - start_c))
    i = np.arange(length)
    return i + start_r, i + start_c


class Diag(Function):
    """1-D -> the square matrix with it on diagonal ``offset``; 2-D -> that diagonal."""

    def forward(self, a, offset):
        self.meta = (a.shape, a.dtype)
        self.offset = offset
        xp = array_module(a)
        if a.ndim == 1:
            n = a.shape[0] + abs(offset)
            out = xp.zeros((n, n), a.dtype)
            r, c = _diag_positions((n, n), offset)
            out[r, c] = a
            return out
        r, c = _diag_positions(a.shape, offset)
        return a[r, c]  # advanced indexing: a copy, as torch.diag returns

    def backward(self, g):
        shape, dtype = self.meta
        xp = array_module(g)
        if len(shape) == 1:
            r, c = _diag_positions(g.shape, self.offset)
            return g[r, c], None
        gx = xp.zeros(shape, dtype)
        r, c = _diag_positions(shape, self.offset)
        gx[r, c] = g
        return gx, None


class Diagonal(Function):
    """The diagonal ``offset`` of the (dim1, dim2) planes, as the last dim (torch.diagonal)."""

    def forward(self, a, offset, dim1, dim2):
        self.meta = (a.shape, a.dtype, offset, dim1, dim2)
        xp = array_module(a)
        return xp.ascontiguousarray(xp.diagonal(a, offset, dim1, dim2))

    def backward(self, g):
        shape, dtype, offset, dim1, dim2 = self.meta
        xp = array_module(g)
        gx = xp.zeros(shape, dtype)
        # np.diagonal of a writable array is read-only; write through index arrays instead
        r, c = _diag_positions((shape[dim1], shape[dim2]), offset)
        moved = xp.moveaxis(gx, (dim1, dim2), (-2, -1))  # a view of gx
        moved[..., r, c] = g
        return gx, None, None, None


class DiagEmbed(Function):
    """The last dim of ``a`` placed on diagonal ``offset`` of new (dim1, dim2) planes."""

    def forward(self, a, offset, dim1, dim2):
        self.meta = (a.shape, offset, dim1, dim2)
        xp = array_module(a)
        n = a.shape[-1] + abs(offset)
        out = xp.zeros(a.shape[:-1] + (n, n), a.dtype)
        r, c = _diag_positions((n, n), offset)
        out[..., r, c] = a
        nd = out.ndim
        return xp.ascontiguousarray(xp.moveaxis(out, (nd - 2, nd - 1), (dim1, dim2)))

    def backward(self, g):
        shape, offset, dim1, dim2 = self.meta
        xp = array_module(g)
        nd = g.ndim
        planes = xp.moveaxis(g, (dim1, dim2), (nd - 2, nd - 1))
        n = shape[-1] + abs(offset)
        r, c = _diag_positions((n, n), offset)
        return xp.ascontiguousarray(planes[..., r, c]), None, None, None
