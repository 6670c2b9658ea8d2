"""Recurrent layers on the GPU: Elman RNN, LSTM and GRU, one layer, one direction.

The input projection x @ W_ih^T (+ bias) of all T steps is one cuBLAS GEMM;
each step then does one GEMM h @ W_hh^T and one fused gate kernel
(kernels/rnn.cu) that applies the activations, updates the state, writes y
and the saved gates and applies the length mask. Backward runs one fused
kernel and one GEMM per step in reverse, then gets dx, dW_ih and dW_hh as
three large GEMMs over all steps.

Same names, signatures, checks (fastnn/backends/_validate/rnn.py) and
RNNSaved as fastnn/backends/numpy_ref/rnn.py (x is time-major (T, B, I);
PyTorch gate orders i, f, g, o and r, z, n). The argument checks end with
np.ascontiguousarray, so they are run on zero-stride NumPy stand-ins of the
GPU arrays (same shapes and dtypes) and the lengths, which are small, are
checked on the host.
"""
import numpy as np

from .._validate import check_array, finite_checks_enabled
from .._validate.rnn import check_rnn_forward, check_rnn_grads, check_rnn_saved, rnn_saved
from ._runtime import contiguous, cp, launch, require_gpu_arrays, shadow

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward",
           "gru_forward", "gru_backward"]

_SRC = "rnn.cu"


def _forward_inputs(kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths, nonlinearity="tanh"):
    from .. import is_cupy_array
    host_lengths = lengths.get() if is_cupy_array(lengths) else lengths
    *_, host_lengths = check_rnn_forward(
        kind, shadow(x), shadow(h0), shadow(c0), shadow(w_ih), shadow(w_hh), shadow(b_ih),
        shadow(b_hh), host_lengths, nonlinearity)
    arrays = dict(x=x, h0=h0, c0=c0 if kind == "lstm" else None, w_ih=w_ih, w_hh=w_hh,
                  b_ih=b_ih, b_hh=b_hh)
    require_gpu_arrays(**arrays)
    if finite_checks_enabled():
        for name, a in arrays.items():
            if a is not None:
                check_array(name, a)
    cupy = cp()
    T, B = x.shape[:2]
    lengths = None if host_lengths is None else cupy.asarray(host_lengths)
    run_len = cupy.full((B,), T, dtype=np.int64) if lengths is None else lengths
    out = {k: contiguous(v) for k, v in arrays.items()}
    return out, lengths, run_len


def _backward_inputs(kind, saved, dy, dh_n, dc_n=None):
    cupy = cp()
    T, B, H = check_rnn_saved(kind, saved, cupy.ndarray)
    check_rnn_grads(kind, T, B, H, saved.x.dtype, shadow(dy), shadow(dh_n), shadow(dc_n))
    require_gpu_arrays(dy=dy, dh_n=dh_n, dc_n=dc_n if kind == "lstm" else None, x=saved.x)
    lengths = saved.lengths
    run_len = cupy.full((B,), T, dtype=np.int64) if lengths is None else lengths
    return contiguous(dy), contiguous(dh_n), contiguous(dc_n), run_len


def _project(x, w, b1, b2):
    """x @ w.T (+ b1 + b2) for all steps at once: (T, B, G*H)."""
    T, B, I = x.shape
    out = cp().matmul(x.reshape(T * B, I), w.T).reshape(T, B, w.shape[0])
    for b in (b1, b2):
        if b is not None:
            out += b
    return out


def _state(grad, shape, dtype):
    return cp().zeros(shape, dtype=dtype) if grad is None else grad.copy()


def _weight_grads(saved, dg_ih, dg_hh):
    """dx, dW_ih, dW_hh, db_ih, db_hh from the per-step pre-activation grads."""
    cupy = cp()
    x, h0, y, w_ih = saved.x, saved.h0, saved.y, saved.w_ih
    T, B, I = x.shape
    h_prev = cupy.concatenate([h0[None], y[:-1]], axis=0)[:T]
    g_ih = dg_ih.reshape(T * B, -1)
    g_hh = dg_hh.reshape(T * B, -1)
    dx = cupy.matmul(g_ih, w_ih).reshape(T, B, I)
    dw_ih = cupy.matmul(g_ih.T, x.reshape(T * B, I))
    dw_hh = cupy.matmul(g_hh.T, h_prev.reshape(T * B, -1))
    db_ih = dg_ih.sum(axis=(0, 1)) if saved.has_b_ih else None
    db_hh = dg_hh.sum(axis=(0, 1)) if saved.has_b_hh else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


def _saved(kind, a, lengths, y, **extra):
    return rnn_saved(kind, a["x"], a["h0"], a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"], lengths, y,
                     **extra)


# ---------------------------------------------------------------- Elman RNN
def rnn_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", lengths=None):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh). Returns (y, h_n, saved)."""
    a, lengths, run_len = _forward_inputs("rnn", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths,
                                          nonlinearity)
    cupy = cp()
    x, w_hh = a["x"], a["w_hh"]
    T, B, _ = x.shape
    H = w_hh.shape[1]
    xw = _project(x, a["w_ih"], a["b_ih"], a["b_hh"])
    y = cupy.empty((T, B, H), dtype=x.dtype)
    h = a["h0"].copy()
    hw = cupy.empty((B, H), dtype=x.dtype)
    relu = int(nonlinearity == "relu")
    for t in range(T):
        cupy.matmul(h, w_hh.T, out=hw)
        launch(_SRC, "rnn_fwd_step", x.dtype, B * H, (xw[t], hw, h, y[t], run_len, t, B, H, relu))
    return y, h, _saved("rnn", a, lengths, y, nonlinearity=nonlinearity)


def rnn_backward(dy, dh_n, saved):
    """Returns (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, _, run_len = _backward_inputs("rnn", saved, dy, dh_n)
    cupy = cp()
    y, w_hh = saved.y, saved.w_hh
    T, B, H = y.shape
    dh = _state(dh_n, (B, H), y.dtype)
    dpre = cupy.empty_like(y)
    keep = cupy.empty((B, H), dtype=y.dtype)
    relu = int(saved.nonlinearity == "relu")
    for t in range(T - 1, -1, -1):
        dy_t = dh if dy is None else dy[t]
        launch(_SRC, "rnn_bwd_step", y.dtype, B * H,
               (y[t], dy_t, int(dy is not None), dh, dpre[t], keep, run_len, t, B, H, relu))
        dh = keep + cupy.matmul(dpre[t], w_hh)  # frozen rows: dpre is 0, keep holds dh
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(saved, dpre, dpre)
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- LSTM
def lstm_forward(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, lengths=None):
    """torch.nn.LSTM cell, gates i, f, g, o. Returns (y, h_n, c_n, saved)."""
    a, lengths, run_len = _forward_inputs("lstm", x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths)
    cupy = cp()
    x, w_hh = a["x"], a["w_hh"]
    T, B, _ = x.shape
    H = w_hh.shape[1]
    xw = _project(x, a["w_ih"], a["b_ih"], a["b_hh"])
    y = cupy.empty((T, B, H), dtype=x.dtype)
    gates = cupy.empty((T, B, 4 * H), dtype=x.dtype)
    cs = cupy.empty((T, B, H), dtype=x.dtype)
    h, c = a["h0"].copy(), a["c0"].copy()
    hw = cupy.empty((B, 4 * H), dtype=x.dtype)
    for t in range(T):
        cupy.matmul(h, w_hh.T, out=hw)
        launch(_SRC, "lstm_fwd_step", x.dtype, B * H,
               (xw[t], hw, h, c, y[t], gates[t], cs[t], run_len, t, B, H))
    saved = _saved("lstm", a, lengths, y, c0=a["c0"], gates=gates, c=cs)
    return y, h, c, saved


def lstm_backward(dy, dh_n, dc_n, saved):
    """Returns (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, dc_n, run_len = _backward_inputs("lstm", saved, dy, dh_n, dc_n)
    cupy = cp()
    y, gates, cs, c0, w_hh = saved.y, saved.gates, saved.c, saved.c0, saved.w_hh
    T, B, H = y.shape
    dh = _state(dh_n, (B, H), y.dtype)
    dc = _state(dc_n, (B, H), y.dtype)
    dgates = cupy.empty_like(gates)
    keep = cupy.empty((B, H), dtype=y.dtype)
    for t in range(T - 1, -1, -1):
        c_prev = cs[t - 1] if t > 0 else c0
        dy_t = dh if dy is None else dy[t]
        launch(_SRC, "lstm_bwd_step", y.dtype, B * H,
               (gates[t], cs[t], c_prev, dy_t, int(dy is not None), dh, dc, dgates[t], keep,
                run_len, t, B, H))
        dh = keep + cupy.matmul(dgates[t], w_hh)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(saved, dgates, dgates)
    return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- GRU
def gru_forward(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, lengths=None):
    """torch.nn.GRU cell, gates r, z, n. Returns (y, h_n, saved)."""
    a, lengths, run_len = _forward_inputs("gru", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths)
    cupy = cp()
    x, w_hh, b_hh = a["x"], a["w_hh"], a["b_hh"]
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gi = _project(x, a["w_ih"], a["b_ih"], None)
    y = cupy.empty((T, B, H), dtype=x.dtype)
    gates = cupy.empty((T, B, 3 * H), dtype=x.dtype)
    hns = cupy.empty((T, B, H), dtype=x.dtype)
    h = a["h0"].copy()
    gh = cupy.empty((B, 3 * H), dtype=x.dtype)
    for t in range(T):
        cupy.matmul(h, w_hh.T, out=gh)
        if b_hh is not None:
            gh += b_hh
        launch(_SRC, "gru_fwd_step", x.dtype, B * H,
               (gi[t], gh, h, y[t], gates[t], hns[t], run_len, t, B, H))
    return y, h, _saved("gru", a, lengths, y, gates=gates, hn=hns)


def gru_backward(dy, dh_n, saved):
    """Returns (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, _, run_len = _backward_inputs("gru", saved, dy, dh_n)
    cupy = cp()
    y, h0, gates, hns, w_hh = saved.y, saved.h0, saved.gates, saved.hn, saved.w_hh
    T, B, H = y.shape
    dh = _state(dh_n, (B, H), y.dtype)
    dg_ih = cupy.empty_like(gates)
    dg_hh = cupy.empty_like(gates)
    keep = cupy.empty((B, H), dtype=y.dtype)
    for t in range(T - 1, -1, -1):
        h_prev = y[t - 1] if t > 0 else h0
        dy_t = dh if dy is None else dy[t]
        launch(_SRC, "gru_bwd_step", y.dtype, B * H,
               (gates[t], hns[t], h_prev, dy_t, int(dy is not None), dh, dg_ih[t], dg_hh[t],
                keep, run_len, t, B, H))
        dh = keep + cupy.matmul(dg_hh[t], w_hh)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(saved, dg_ih, dg_hh)
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh
