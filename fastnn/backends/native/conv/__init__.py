"""Convolution, native version: conv2d and conv1d, forward and backward.

Four paths, tried in this order (the dispatch is _forward/_backward):
Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions with enough channels; the
packed path (groups 1: im2col written straight into the GEMM micro-kernel's
panels, or no packing at all for k = C*kH*kW <= SMALL_K); direct loops for
depthwise; and blocked im2col + GEMM + col2im (_conv.pyx), one L2-sized column
buffer per thread, which takes everything else. All of them avoid a batch-sized
column matrix. The reference is fastnn/backends/numpy_ref/conv.py; the argument
checks and ConvSaved are fastnn/backends/_validate/conv.py, shared with it.
"""
from __future__ import annotations

import contextlib
import math
import threading
from typing import Any

import numpy as np

from ..._validate.conv import (ConvParams, ConvSaved, check_conv1d, check_conv2d,
                               check_conv_backward)
from .. import tuning
from . import _conv

__all__ = ["conv2d_forward", "conv2d_backward", "conv1d_forward", "conv1d_backward"]


# Scratch buffers (packed weights, per-thread panels) are reused from call to
# call, one set per Python thread: fresh megabytes each call cost page faults.
# Their contents never carry over; every kernel writes what it reads.
_buffers = threading.local()


def _scratch(slot, shape, dtype):
    """An uninitialised array of `shape`, backed by this thread's buffer `slot`."""
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    key = (slot, dtype.char)
    store = _buffers.__dict__
    buf = store.get(key)
    if buf is None or buf.size < size:
        buf = store[key] = np.empty(max(size, 1), dtype=dtype)
    return buf[:size].reshape(shape)


def _geometry(p):
    return (*p.stride, *p.padding, *p.dilation, *p.out_hw)


def _depthwise(x, w, p):
    # one input channel per group; C = 1 with groups = 1 is a plain GEMM (K = kH*kW)
    return w.shape[1] == 1 and p.groups == x.shape[1] and p.groups > 1


# Samples per block: enough side by side that one GEMM has about
# _BLOCK_COLUMNS columns, with the block's column matrix below _BLOCK_BYTES so
# that it is still in L2 when the GEMM packs it; a sample bigger than that is
# cut into chunks of output rows.
_BLOCK_COLUMNS = 1024
# The working sets below are fractions of this machine's per-core L2: a column
# block a quarter of it, packed im2col panels half, the Winograd blocks all of it.
_L2_BYTES = tuning.l2_cache_bytes()
_BLOCK_BYTES = _L2_BYTES // 4


def _plan(x, w, p):
    """(block, chunk, teams, cols buffer, row buffer) for the GEMM path.

    teams > 1: OpenMP threads take whole blocks (single-threaded GEMMs);
    teams == 1: blocks run in turn with threaded GEMMs (batch 1).
    """
    n, c = x.shape[:2]
    ho, wo = p.out_hw
    pix = ho * wo
    k = c * w.shape[2] * w.shape[3]
    pointwise = w.shape[2] == w.shape[3] == 1 and p.stride == (1, 1) and p.padding == (0, 0)
    block, chunk = 1, ho
    if not pointwise:
        block = max(1, min(-(-_BLOCK_COLUMNS // pix), _BLOCK_BYTES // (k * pix * x.itemsize)))
        chunk = max(1, min(ho, _BLOCK_BYTES // (k * wo * x.itemsize)))
    nt = _conv.team(float(n) * w.shape[0] * pix * k / p.groups)  # 1 for small convolutions
    if nt > 1:
        block = min(block, n // nt)
    block = max(1, min(block, n))
    teams = nt if nt > 1 and -(-n // block) >= nt else 1
    cols = np.empty((teams, max(k * wo * (chunk if block == 1 else ho * block), 1)), dtype=x.dtype)
    rows = np.empty((teams, w.shape[0] * pix * block if block > 1 else 1), dtype=x.dtype)
    return block, chunk, teams, cols, rows


# Packed path (conv_gemm_kernel.c): output rows per chunk so that a chunk has
# about _PACKED_COLUMNS pixels (the weight gradient's k, so its A panel stays
# in L1) and its packed im2col panels stay under _PACKED_BYTES (L2).
_PACKED_COLUMNS = 256
_PACKED_BYTES = _L2_BYTES // 2

# The optional fast paths the dispatch tries before the blocked GEMM path; tests
# and benchmarks turn them off with disable_paths to reach the paths behind them.
_PATHS = {"packed": True, "winograd": True}


@contextlib.contextmanager
def disable_paths(*names):
    """Within the block (process-wide), the dispatch skips the named paths
    ('packed', 'winograd'), so the ones behind them run."""
    for name in names:
        if name not in _PATHS:
            raise ValueError(f"names: expected 'packed' or 'winograd', got {name!r}")
    before = dict(_PATHS)
    _PATHS.update(dict.fromkeys(names, False))
    try:
        yield
    finally:
        _PATHS.update(before)


def _bias_grad(dy):
    """dy summed over everything but the channel axis (compiled, OpenMP over channels)."""
    n, o = dy.shape[:2]
    db = np.zeros(o, dtype=dy.dtype)
    if dy.size:
        _conv.bias_grad(dy.reshape(n, o, -1), db)
    return db


# At most this many rows of im2col (C*kH*kW; a first layer on one channel
# has 9): the packed path then runs without packing (fastnn_cg_forward_small,
# fastnn_cg_backward_small), the products reading x's columns and dy in place,
# whole samples at a time while their column matrices fit in _PACKED_BYTES.
_SMALL_K = _conv.SMALL_K


def _packed_plan(x, w, p, small=False):
    """(chunk, wpack, scratch) for the packed path, or None where it does not apply.

    It takes groups = 1 convolutions other than the plain 1x1, whenever whole
    samples can go to the threads (or there is one thread); batch smaller
    than the team keeps the threaded-GEMM path.
    """
    if not _PATHS["packed"] or p.groups != 1:
        return None
    n, c = x.shape[:2]
    kh, kw = w.shape[2:]
    if kh == kw == 1 and p.stride == (1, 1) and p.padding == (0, 0):
        return None
    ho, wo = p.out_hw
    k = c * kh * kw
    nt = _conv.team(float(n) * w.shape[0] * ho * wo * k)
    if nt > 1 and n < nt:
        return None
    nt = min(nt, n)
    if small:  # whole samples: a column matrix and its gradient within _PACKED_BYTES
        chunk = max(1, min(ho, _PACKED_BYTES // (2 * k * wo * x.itemsize)))
    else:
        chunk = max(1, min(ho, _PACKED_COLUMNS // wo, _PACKED_BYTES // (k * wo * x.itemsize)))
    wsize, ssize = _conv.packed_sizes(w.shape[0], c, x.shape[2], x.shape[3], kh, kw,
                                      _geometry(p), chunk)
    return chunk, _scratch("weights", (wsize,), x.dtype), _scratch("panels", (nt, ssize), x.dtype)


# Winograd F(2x2, 3x3) (conv_winograd_kernel.c): 16 multiply-adds per 2x2 output
# tile and channel pair instead of 36, but transforms that only pay off with at
# least _WINOGRAD_MIN_CHANNELS input channels and _WINOGRAD_MIN_TILES tiles per
# thread (the weight transform is paid per call). Blocks of tile rows hold at most
# _WINOGRAD_TILES tiles and _WINOGRAD_BYTES of transformed data (L2).
_WINOGRAD_MIN_CHANNELS = 16
_WINOGRAD_MIN_TILES = 48
_WINOGRAD_TILES = 256
_WINOGRAD_BYTES = _L2_BYTES


# Elements per np.isfinite pass in _all_finite: a bool buffer this size is
# reused, so the check allocates nothing that grows with the tensor.
_FINITE_CHUNK = 1 << 16


def _all_finite(*arrays):
    """True when no array (contiguous) holds an Inf or a NaN.

    np.isfinite over chunks into a reused bool buffer, stopping at the first
    chunk with a non-finite value (cheaper than a sum, which pairwise-sums).
    """
    buf = _scratch("finite", (_FINITE_CHUNK,), np.bool_)
    for a in arrays:
        flat = a.reshape(-1)
        for i in range(0, flat.size, _FINITE_CHUNK):
            part = flat[i:i + _FINITE_CHUNK]
            if not np.isfinite(part, out=buf[:part.size]).all():
                return False
    return True


def _winograd_plan(x, w, p, backward, dy=None):
    """(rows, upack, scratch) for the Winograd path, or None where it does not apply."""
    if (not _PATHS["winograd"] or p.groups != 1 or w.shape[2:] != (3, 3) or p.stride != (1, 1)
            or p.dilation != (1, 1)):
        return None
    # The transforms add and subtract inputs of a tile (and weights of a
    # kernel) before the products, so one Inf becomes Inf - Inf = NaN in
    # outputs that the direct convolution gives as +-Inf, and a NaN reaches
    # outputs it never touches. Non-finite data takes the im2col paths, which
    # keep the reference's IEEE results.
    if not _all_finite(x, w, *(() if dy is None else (dy,))):
        return None
    n, c = x.shape[:2]
    o = w.shape[0]
    if c < _WINOGRAD_MIN_CHANNELS:
        return None
    ho, wo = p.out_hw
    nt = _conv.team(float(n) * o * ho * wo * c * 9)
    if nt > 1 and n < nt:
        return None  # batch smaller than the team: the threaded-GEMM path
    nt = min(nt, n)
    th, tw = (ho + 1) // 2, (wo + 1) // 2
    if -(-n // nt) * th * tw < _WINOGRAD_MIN_TILES:
        return None
    per_row = 16 * (c + o) * tw * x.itemsize
    total = -(-n // nt) * th  # tile rows of one thread's samples
    most = max(1, min(total, _WINOGRAD_TILES // tw, _WINOGRAD_BYTES // per_row))

    def padded(r):  # the products' columns come in panels of 32 tiles
        full, rest = divmod(total, r)
        return full * (-(-r * tw // 32) * 32) + -(-rest * tw // 32) * 32

    # of the block sizes down to half the largest, the one that pads least
    rows = min(range(max(1, most // 2), most + 1), key=lambda r: (padded(r), -r))
    usize, ssize = _conv.winograd_sizes(o, c, tw, rows, backward)
    return rows, _scratch("weights", (usize,), x.dtype), _scratch("panels", (nt, ssize), x.dtype)


def _winograd_weights(w):
    """U = G w G^T for every (output, input) channel pair, as (16, O, C)."""
    u = np.empty((16, w.shape[0], w.shape[1]), dtype=w.dtype)
    _conv.winograd_weights(w, u)
    return u


def _forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, p: ConvParams) -> np.ndarray:
    x = np.ascontiguousarray(x)
    w = np.ascontiguousarray(w)
    n, o = x.shape[0], w.shape[0]
    y = np.empty((n, o) + p.out_hw, dtype=x.dtype)
    if y.size == 0:
        pass
    elif x.shape[1] == 0:
        y.fill(0)
    elif _depthwise(x, w, p):
        _conv.depthwise_forward(x, w, y, *p.stride, *p.padding, *p.dilation)
    else:
        bias = np.ascontiguousarray(b) if b is not None else x[:0, 0, 0, 0]
        wplan = _winograd_plan(x, w, p, False)
        small = w.shape[1] * w.shape[2] * w.shape[3] <= _SMALL_K
        plan = _packed_plan(x, w, p, small=small) if wplan is None else None
        if plan is not None and small:
            chunk, _, scratch = plan
            _conv.forward_small(x, w, bias, y, scratch, chunk, _geometry(p))
        elif wplan is not None:
            rows, upack, scratch = wplan
            _conv.forward_winograd(x, _winograd_weights(w), bias, y, upack, scratch, rows,
                                   _geometry(p))
        elif plan is not None:
            chunk, wpack, scratch = plan
            _conv.forward_packed(x, w, bias, y, wpack, scratch, chunk, _geometry(p))
        else:
            block, chunk, _, cols, rows = _plan(x, w, p)
            _conv.forward_gemm(x, w, bias, y, cols, rows, p.groups, block, chunk, _geometry(p))
        b = None  # added by the kernel
    if b is not None:
        y += b.reshape(o, 1, 1)
    return y


def _backward(dy, x, w, p):
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)  # e.g. the reference's saved x
    dy = np.ascontiguousarray(dy)
    if dy.size == 0 or x.size == 0:
        return np.zeros_like(x), np.zeros_like(w), _bias_grad(dy) if p.has_bias else None
    k = w.shape[1] * w.shape[2] * w.shape[3]
    small = k <= _SMALL_K
    # as in _forward: Winograd, else the packed path (neither takes depthwise)
    wplan = _winograd_plan(x, w, p, True, dy)
    plan = _packed_plan(x, w, p, small=small) if wplan is None else None
    if plan is not None and small:  # the bias gradient comes with the kernel
        chunk, _, scratch = plan
        dx = np.empty_like(x)
        o = w.shape[0]
        dwv = np.zeros((scratch.shape[0], k, o, 16), dtype=x.dtype)
        dbv = np.zeros((scratch.shape[0], o if p.has_bias else 0, 16), dtype=x.dtype)
        dw = np.empty_like(w)
        db = np.empty(o if p.has_bias else 0, dtype=x.dtype)
        _conv.backward_small(dy, x, w, dx, dw.reshape(o, k), db, dwv, dbv, scratch, chunk,
                             _geometry(p))
        return dx, dw, db if p.has_bias else None
    db = _bias_grad(dy) if p.has_bias else None
    if _depthwise(x, w, p):
        dx, dw = np.empty_like(x), np.empty_like(w)
        _conv.depthwise_backward_input(dy, w, dx, *p.stride, *p.padding, *p.dilation)
        macs = float(x.shape[0]) * w.shape[0] * p.out_hw[0] * p.out_hw[1] * w.shape[2] * w.shape[3]
        acc = np.empty((_conv.team(macs), w.shape[2] * w.shape[3] * p.out_hw[1]), dtype=x.dtype)
        _conv.depthwise_backward_weight(dy, x, dw, acc, *p.stride, *p.padding, *p.dilation)
        return dx, dw, db
    if wplan is not None:
        rows, upack, scratch = wplan
        dx = np.empty_like(x)
        du = np.zeros((scratch.shape[0], 16, w.shape[0], w.shape[1]), dtype=x.dtype)
        _conv.backward_winograd(dy, x, _winograd_weights(w), dx, du, upack, scratch, rows,
                                _geometry(p))
        du = du.sum(axis=0) if du.shape[0] > 1 else du[0]
        dw = np.empty_like(w)
        _conv.winograd_weight_grad(du, dw)
        return dx, dw, db
    if plan is not None:
        chunk, wpack, scratch = plan
        dx = np.empty_like(x)
        o = w.shape[0]
        dwt = np.zeros((scratch.shape[0], k, o), dtype=x.dtype)
        _conv.backward_packed(dy, x, w, dx, dwt, wpack, scratch, chunk, _geometry(p))
        dwt = dwt.sum(axis=0) if dwt.shape[0] > 1 else dwt[0]
        return dx, np.ascontiguousarray(dwt.T).reshape(w.shape), db
    block, chunk, teams, cols, rows = _plan(x, w, p)
    dx = np.empty_like(x)
    dw_part = np.zeros((teams,) + w.shape, dtype=x.dtype)
    _conv.backward_gemm(dy, x, w, dx, dw_part, cols, rows, p.groups, block, chunk, _geometry(p))
    dw = dw_part.sum(axis=0) if dw_part.shape[0] > 1 else dw_part[0]
    return dx, _untranspose_wgrad(dw, w.shape, p.groups), db


def _untranspose_wgrad(dwt, w_shape, groups):
    """The weight gradient from backward_gemm's per-group transposed (K, Og) slices."""
    og, k = w_shape[0] // groups, w_shape[1] * w_shape[2] * w_shape[3]
    return np.ascontiguousarray(dwt.reshape(groups, k, og).transpose(0, 2, 1)).reshape(w_shape)


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1,
                   groups: int = 1) -> tuple[np.ndarray, ConvSaved]:
    p = check_conv2d(x, w, b, stride, padding, dilation, groups)
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)  # saved as the kernels read them
    return _forward(x, w, b, p), ConvSaved(x, w, p)


def conv2d_backward(dy: np.ndarray,
                    saved: ConvSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    return _backward(dy, *check_conv_backward(dy, saved))


def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1,
                   groups: int = 1) -> tuple[np.ndarray, ConvSaved]:
    x2, w2, p = check_conv1d(x, w, b, stride, padding, dilation, groups)
    x2, w2 = np.ascontiguousarray(x2), np.ascontiguousarray(w2)
    return _forward(x2, w2, b, p)[:, :, 0, :], ConvSaved(x2, w2, p)


def conv1d_backward(dy: np.ndarray,
                    saved: ConvSaved) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    x, w, p = check_conv_backward(dy, saved, ndim=3)
    dx, dw, db = _backward(dy[:, :, None, :], x, w, p)
    return dx[:, :, 0, :], dw[:, :, 0, :], db
