"""Recurrent kernels, native version: RNN, LSTM and GRU sequences in C.

Same functions, signatures and RNNSaved as the reference
(fastnn/backends/numpy_ref/rnn.py); the shared input checks are
fastnn/backends/_validate/rnn.py.
Here Python only validates and allocates; the whole time loop -- one GEMM for
the input projection of all steps, then per step a recurrent GEMM and one fused
gate pass -- runs in rnn_kernel.c without the GIL (see _rnn.pyx).

Two additions to the reference's contract: a backward whose ``saved.need_dx`` is
False (fastnn.ops.rnn.Recurrent sets it when x needs no gradient) returns None
for dx and skips its GEMM, a sixth of a training step's multiply-adds; one whose
``saved.need_dh0`` is False (h0 needs none: hx=None) skips the last step's
product that gives dh0 and returns dh0 as zeros. The other gradients are
unchanged. The reference ignores both fields.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..._validate.rnn import (RNNSaved, batch_major_view, check_rnn_backward, check_rnn_forward,
                              rnn_saved)
from ...numpy_ref import rnn as _ref
from . import _rnn

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward",
           "gru_forward", "gru_backward"]


def _no_work(x):
    """No steps or no sequences: nothing for the C loop to do; the reference is exact."""
    return x.shape[0] == 0 or x.shape[1] == 0


def _empty_parts(shapes, dt):
    """np.empty of each shape, each starting on a 64-byte cache line, all in one
    allocation: for buffers that live and die together (a sequence's saved
    arrays, a backward's state grads). NumPy aligns to 16 bytes, and the
    kernels' AVX-512 loads and stores of rows that start mid-line touch two
    lines each: ~4% of an LSTM forward (Zen 4). One allocation rather than one
    each: between two kernels that stream megabytes, every NumPy call runs on
    cold caches (~14 us an allocation in an LSTM training step, Zen 4)."""
    sizes = [(math.prod(shape) * dt.itemsize + 63) // 64 * 64 for shape in shapes]
    raw = np.empty(sum(sizes) + 64, np.uint8)
    offset = -raw.__array_interface__["data"][0] % 64
    out = []
    for shape, size in zip(shapes, sizes):
        out.append(np.ndarray(shape, dt, raw, offset))
        offset += size
    return out


def _empty(shape, dt):
    """np.empty starting on a 64-byte cache line (see _empty_parts)."""
    return _empty_parts([shape], dt)[0]


def _weight_grad_buffers(saved):
    """Plain np.empty: arrays that own their memory become .grad as they are
    (Tensor._accumulate copies a view); the kernel writes them once."""
    x, w_ih, w_hh = saved.x, saved.w_ih, saved.w_hh
    dt = x.dtype
    dx = np.empty(x.shape, dt) if saved.need_dx else None
    dw_ih = np.empty(w_ih.shape, dt)
    dw_hh = np.empty(w_hh.shape, dt)
    db_ih = np.empty(w_hh.shape[0], dt) if saved.has_b_ih else None
    db_hh = np.empty(w_hh.shape[0], dt) if saved.has_b_hh else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _rows(a):
    """(array, 1) for batch_first's transposed view (the kernel reads the (B, T, F)
    array in place), else (a, 0): a is C-contiguous (T, B, F) then."""
    return (a.transpose(1, 0, 2), 1) if a is not None and batch_major_view(a) else (a, 0)


def _bias(b_ih, b_hh, n, dt):
    """The forward kernels add one bias vector per gate row (zeros without)."""
    if b_ih is None and b_hh is None:
        return np.zeros(n, dt)
    if b_ih is None or b_hh is None:
        return b_ih if b_hh is None else b_hh
    return b_ih + b_hh


def _state_grads(grads, B, H, dt):
    """The carried state grads (dh, and dc for the LSTM), from dh_n, dc_n or zeros."""
    out = _empty_parts([(B, H)] * len(grads), dt)
    for o, g in zip(out, grads):
        o[...] = 0 if g is None else g
    return out


# ---------------------------------------------------------------- Elman RNN
def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
                nonlinearity: str = "tanh",
                lengths: Any = None) -> tuple[np.ndarray, np.ndarray, RNNSaved]:
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh). Returns (y, h_n, saved)."""
    x, h0, _, w_ih, w_hh, b_ih, b_hh, lengths = check_rnn_forward(
        "rnn", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths, nonlinearity, keep_batch_major=True)
    if _no_work(x):
        return _ref.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, lengths)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    y = _empty((T, B, H), x.dtype)
    h_n = _empty((B, H), x.dtype)
    xk, x_bm = _rows(x)
    _rnn.rnn_forward(xk, h0, w_ih, w_hh, _bias(b_ih, b_hh, H, x.dtype), lengths,
                     nonlinearity == "relu", y, h_n, x_bm=x_bm)
    saved = rnn_saved("rnn", x, h0, w_ih, w_hh, b_ih, b_hh, lengths, y, nonlinearity=nonlinearity)
    return y, h_n, saved


def rnn_backward(dy: np.ndarray | None, dh_n: np.ndarray | None,
                 saved: RNNSaved) -> tuple[np.ndarray | None, ...]:
    """Returns (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, _ = check_rnn_backward("rnn", saved, dy, dh_n, keep_batch_major=True)
    x = saved.x
    if _no_work(x):
        return _ref.rnn_backward(dy, dh_n, saved)
    T, B, _ = x.shape
    H = saved.w_hh.shape[1]
    dh, = _state_grads([dh_n], B, H, x.dtype)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grad_buffers(saved)
    work = _empty((T, B, H), x.dtype)
    (xk, x_bm), (dyk, dy_bm) = _rows(x), _rows(dy)
    _rnn.rnn_backward(xk, saved.h0, saved.w_ih, saved.w_hh, saved.lengths,
                      saved.nonlinearity == "relu", saved.y, dyk, dh,
                      dx, dw_ih, dw_hh, db_ih, db_hh, work, x_bm=x_bm, dy_bm=dy_bm,
                      need_dh0=saved.need_dh0)
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- LSTM
def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray,
                 w_hh: np.ndarray, b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
                 lengths: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, RNNSaved]:
    """torch.nn.LSTM cell, gates i, f, g, o. Returns (y, h_n, c_n, saved)."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths = check_rnn_forward(
        "lstm", x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, keep_batch_major=True)
    if _no_work(x):
        return _ref.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    y = _empty((T, B, H), dt)
    h_n, c_n = _empty_parts([(B, H), (B, H)], dt)
    gates, cs = _empty_parts([(T, B, 4 * H), (T, B, H)], dt)   # saved: they go together
    xk, x_bm = _rows(x)
    _rnn.lstm_forward(xk, h0, c0, w_ih, w_hh, _bias(b_ih, b_hh, 4 * H, dt), lengths, y, h_n, c_n,
                      gates, cs, x_bm=x_bm)
    saved = rnn_saved("lstm", x, h0, w_ih, w_hh, b_ih, b_hh, lengths, y, c0=c0, gates=gates,
                      c=cs)
    return y, h_n, c_n, saved


def lstm_backward(dy: np.ndarray | None, dh_n: np.ndarray | None, dc_n: np.ndarray | None,
                  saved: RNNSaved) -> tuple[np.ndarray | None, ...]:
    """Returns (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, dc_n = check_rnn_backward("lstm", saved, dy, dh_n, dc_n, keep_batch_major=True)
    x = saved.x
    if _no_work(x):
        return _ref.lstm_backward(dy, dh_n, dc_n, saved)
    T, B, _ = x.shape
    H = saved.w_hh.shape[1]
    dh, dc = _state_grads([dh_n, dc_n], B, H, x.dtype)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grad_buffers(saved)
    work = _empty((T, B, 4 * H), x.dtype)
    (xk, x_bm), (dyk, dy_bm) = _rows(x), _rows(dy)
    _rnn.lstm_backward(xk, saved.h0, saved.c0, saved.w_ih, saved.w_hh,
                       saved.lengths, saved.y, saved.gates, saved.c, dyk, dh, dc,
                       dx, dw_ih, dw_hh, db_ih, db_hh, work, x_bm=x_bm, dy_bm=dy_bm,
                       need_dh0=saved.need_dh0)
    return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- GRU
def gru_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
                lengths: Any = None) -> tuple[np.ndarray, np.ndarray, RNNSaved]:
    """torch.nn.GRU cell, gates r, z, n. Returns (y, h_n, saved)."""
    x, h0, _, w_ih, w_hh, b_ih, b_hh, lengths = check_rnn_forward(
        "gru", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths, keep_batch_major=True)
    if _no_work(x):
        return _ref.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    y = _empty((T, B, H), dt)
    h_n = _empty((B, H), dt)
    gates, hn, work = _empty_parts([(T, B, 3 * H), (T, B, H), (B, 3 * H)], dt)
    # the fused pass adds both biases per step (b_hn inside r * (W_hn h + b_hn))
    bi, bh = _bias(b_ih, None, 3 * H, dt), _bias(None, b_hh, 3 * H, dt)
    xk, x_bm = _rows(x)
    _rnn.gru_forward(xk, h0, w_ih, w_hh, bi, bh, lengths, y, h_n, gates, hn, work, x_bm=x_bm)
    saved = rnn_saved("gru", x, h0, w_ih, w_hh, b_ih, b_hh, lengths, y, gates=gates, hn=hn)
    return y, h_n, saved


def gru_backward(dy: np.ndarray | None, dh_n: np.ndarray | None,
                 saved: RNNSaved) -> tuple[np.ndarray | None, ...]:
    """Returns (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, _ = check_rnn_backward("gru", saved, dy, dh_n, keep_batch_major=True)
    x = saved.x
    if _no_work(x):
        return _ref.gru_backward(dy, dh_n, saved)
    T, B, _ = x.shape
    H = saved.w_hh.shape[1]
    dh, = _state_grads([dh_n], B, H, x.dtype)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grad_buffers(saved)
    work_ih, work_hh = _empty_parts([(T, B, 3 * H)] * 2, x.dtype)
    (xk, x_bm), (dyk, dy_bm) = _rows(x), _rows(dy)
    _rnn.gru_backward(xk, saved.h0, saved.w_ih, saved.w_hh, saved.lengths,
                      saved.y, saved.gates, saved.hn, dyk, dh,
                      dx, dw_ih, dw_hh, db_ih, db_hh, work_ih, work_hh, x_bm=x_bm, dy_bm=dy_bm,
                      need_dh0=saved.need_dh0)
    if not saved.need_dh0:
        dh[...] = 0  # the GRU's row leaves dh0's direct part dh*z in it
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh
