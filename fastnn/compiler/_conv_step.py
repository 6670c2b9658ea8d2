"""The compiled convolution step: conv + bias [+ ReLU] [+ k x k max pooling]
as one gather and one BLAS product into buffers planned once.

For a groups-1 convolution on a small input the step gathers the im2col
matrix *transposed*, one row per output position and one column per kernel
tap plus a column of ones, so that a single product with the packed weights
[K + 1, out] (the bias as their last row) gives conv + bias. When a max
pooling with window = stride follows, the rows are ordered window tap first
[tap][n][pooled pixel], so the pooling is one max over the leading axis of
the product (contiguous slabs; positions no window covers are never
computed), with the ReLU, which commutes with max, as the reduction's
initial 0.

The result is channels-last in memory, handed on as an NCHW view. Its buffer
ends with a 0 and a 1 ("tailed"): the next compiled conv reading it gathers
straight from it (padding taps point at the 0, the bias column at the 1)
instead of copying it first. Any other input is copied into a tailed buffer.
A compiled Linear reading one row from a tailed buffer takes the bias the
same way (see _steps._linear).
"""
from __future__ import annotations

import weakref

import numpy as np

_SMALL_COLS = 8192  # batch * input pixels up to which the gather + BLAS path is used
_MAX_COL = 1 << 22  # ... and the im2col matrix at most this many entries (its index 32 MB)
# id -> base array ending in [0, 1]
_TAILED: weakref.WeakValueDictionary[int, np.ndarray] = weakref.WeakValueDictionary()


def tailed_buffer(size, dtype):
    """A zeroed 1-d buffer of size + 2 elements ending in 0, 1 (registered)."""
    base = np.zeros(size + 2, dtype)
    base[size + 1] = 1
    _TAILED[id(base)] = base
    return base


def source(x):
    """The tailed base that x is a view of, or None."""
    b = x.base
    return b if b is not None and _TAILED.get(id(b)) is b else None


def _offsets(view, base):
    """Element offset and element strides of ``view`` inside ``base``."""
    item = base.itemsize
    off = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    return off, [s // item for s in view.strides]


class ConvStep:
    """conv2d/conv1d (+ReLU) (+max pool), called on the input array."""

    def __init__(self, w, b, geo, relu, pool, fallback, one_d):
        self.one_d = one_d
        self.w4 = w[:, :, None, :] if one_d else w
        cout, cg, kh, kw = self.w4.shape
        self.cout, self.cin, self.kh, self.kw = cout, cg, kh, kw
        k = cg * kh * kw
        # [K + 1, out]: the weights transposed, the bias as the last row
        wt = np.zeros((k + 1, cout), w.dtype)
        wt[:k] = self.w4.reshape(cout, k).T
        if b is not None:
            wt[k] = b
        self.wt = wt
        self.geo = geo  # (sh, sw, ph, pw, dh, dw)
        self.relu, self.pool = relu, pool  # pool: (kh, kw) window = stride, or None
        self.fallback = fallback  # large inputs: fn(x) -> y (conv + relu + pool unfused)
        self.prepared = {}

    def _prepare(self, x, seen, copy=False):
        n, c, h, wd = x.shape
        sh, sw, ph, pw, dh, dw = self.geo
        oh = (h + 2 * ph - dh * (self.kh - 1) - 1) // sh + 1
        ow = (wd + 2 * pw - dw * (self.kw - 1) - 1) // sw + 1
        src = None if copy else source(x)
        own = None
        if src is None:  # copy the input into a tailed buffer of our own each call
            src = tailed_buffer(x.size, x.dtype)
            own = src[:x.size].reshape(x.shape)
        off, (s0, s1, s2, s3) = _offsets(own if own is not None else x, src)
        zero, one = src.size - 2, src.size - 1
        qh, qw = self.pool or (1, 1)
        ph2, pw2 = oh // qh, ow // qw  # pooled size (floor, as PyTorch)
        # index table [tap dy, tap dx, n, py, px, ci, ky, kx] + the ones column
        dy = np.arange(qh).reshape(-1, 1, 1, 1, 1, 1, 1, 1)
        dx = np.arange(qw).reshape(1, -1, 1, 1, 1, 1, 1, 1)
        ni = np.arange(n).reshape(1, 1, -1, 1, 1, 1, 1, 1)
        py = np.arange(ph2).reshape(1, 1, 1, -1, 1, 1, 1, 1)
        px = np.arange(pw2).reshape(1, 1, 1, 1, -1, 1, 1, 1)
        ci = np.arange(c).reshape(1, 1, 1, 1, 1, -1, 1, 1)
        ky = np.arange(self.kh).reshape(1, 1, 1, 1, 1, 1, -1, 1)
        kx = np.arange(self.kw).reshape(1, 1, 1, 1, 1, 1, 1, -1)
        iy = (py * qh + dy) * sh - ph + ky * dh
        ix = (px * qw + dx) * sw - pw + kx * dw
        inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < wd)
        e = off + ni * s0 + ci * s1 + iy * s2 + ix * s3
        e = np.where(inside, e, zero)
        rows = qh * qw * n * ph2 * pw2
        k = c * self.kh * self.kw
        index = np.empty((rows, k + 1), np.intp)
        index[:, :k] = np.broadcast_to(e, (qh, qw, n, ph2, pw2, c, self.kh, self.kw)).reshape(rows, k)
        index[:, k] = one
        index = index.reshape(-1)
        col = np.empty((rows, k + 1), x.dtype)
        prod = np.empty((rows, self.cout) if self.pool else (0, 0), x.dtype)
        m = n * ph2 * pw2 * self.cout
        outbase = tailed_buffer(m, x.dtype)
        flat = outbase[:m]
        taps = prod.reshape(qh * qw, m) if self.pool else None
        nhwc = flat.reshape(n, ph2, pw2, self.cout)
        y = nhwc.transpose(0, 3, 1, 2)  # NCHW view of the channels-last result
        if self.one_d:
            y = y[:, :, 0, :]
        entry = (seen, own, src, index, col, prod, taps, flat, y)
        self.prepared[x.shape] = entry
        return entry

    def __call__(self, x):
        x4 = x[:, :, None, :] if self.one_d else x
        pixels = x4.shape[0] * x4.shape[2] * x4.shape[3]
        if pixels > _SMALL_COLS or pixels * self.wt.shape[0] > _MAX_COL:
            return self.fallback(x)
        entry = self.prepared.get(x4.shape)
        if entry is None or (entry[1] is None and entry[0] is not x):
            # first call, or not the tailed view planned for (a producer that
            # makes a new view each call): from then on, copy
            entry = self._prepare(x4, x, copy=entry is not None)
        seen, own, src, index, col, prod, taps, flat, y = entry
        if own is not None:
            np.copyto(own, x4)
        np.take(src, index, out=col.reshape(-1), mode="clip")
        if taps is None:
            np.dot(col, self.wt, out=flat.reshape(-1, self.cout))
        else:
            np.dot(col, self.wt, out=prod)
            if self.relu:  # max(0, taps...): ReLU commutes with the max
                np.maximum.reduce(taps, axis=0, out=flat, initial=0)
            else:
                np.maximum.reduce(taps, axis=0, out=flat)
            return y
        if self.relu:
            np.maximum(flat, 0, out=flat)
        return y
