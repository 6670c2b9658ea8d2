"""Recurrent kernels, reference version: Elman RNN, LSTM and GRU, one layer, one direction.

Each forward walks the sequence one step at a time with the textbook cell
formula (PyTorch's weight layout and gate order); each backward walks it in
reverse (backpropagation through time). Inputs are time-major: x is (T, B, I).

Variable-length batches: ``lengths[b]`` is the number of valid steps of
sequence b. At a padded step (t >= lengths[b]) the state of b is frozen, its
output is 0 and it receives no gradient -- what PyTorch computes on a
``pack_padded_sequence`` batch.

``saved`` is an RNNSaved, the same type in this module, the native one
(fastnn/backends/native/rnn/__init__.py) and the CuPy one, so either CPU
backward accepts either CPU forward's ``saved``. The input checks and
RNNSaved are in fastnn/backends/_validate/rnn.py.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._validate.rnn import RNNSaved, check_rnn_backward, check_rnn_forward, rnn_saved

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward",
           "gru_forward", "gru_backward"]


# ---------------------------------------------------------------- Elman RNN
def rnn_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
                nonlinearity: str = "tanh",
                lengths: Any = None) -> tuple[np.ndarray, np.ndarray, RNNSaved]:
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh). Returns (y, h_n, saved)."""
    x, h0, _, w_ih, w_hh, b_ih, b_hh, lengths = check_rnn_forward(
        "rnn", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths, nonlinearity)
    T, B, _ = x.shape
    bias = _bias_sum(b_ih, b_hh, w_hh.shape[0], x.dtype)
    act = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
    y = np.zeros((T, B, w_hh.shape[1]), dtype=x.dtype)
    h = h0.copy()
    for t in range(T):
        h_new = act(x[t] @ w_ih.T + h @ w_hh.T + bias)
        m = _step_mask(lengths, t, B)
        h = np.where(m, h_new, h)
        y[t] = np.where(m, h_new, 0)
    return y, h, rnn_saved("rnn", x, h0, w_ih, w_hh, b_ih, b_hh, lengths, y,
                           nonlinearity=nonlinearity)


def rnn_backward(dy: np.ndarray | None, dh_n: np.ndarray | None, saved: RNNSaved) -> tuple[np.ndarray | None, ...]:
    """Returns (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, _ = check_rnn_backward("rnn", saved, dy, dh_n)
    y, w_hh, lengths = saved.y, saved.w_hh, saved.lengths
    T, B, H = y.shape
    dh = np.zeros((B, H), y.dtype) if dh_n is None else dh_n.copy()
    dpre = np.zeros_like(y)
    for t in range(T - 1, -1, -1):
        m = _step_mask(lengths, t, B)
        g = dh + (dy[t] if dy is not None else 0)
        if saved.nonlinearity == "tanh":
            d = g * (1 - y[t] ** 2)
        else:
            d = np.where(y[t] <= 0, 0, g)  # the gradient passes at a NaN, as in PyTorch
        dpre[t] = np.where(m, d, 0)
        dh = np.where(m, dpre[t] @ w_hh, dh)  # a frozen state passes its gradient on
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(saved, dpre, dpre)
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- LSTM
def lstm_forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_ih: np.ndarray,
                 w_hh: np.ndarray, b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
                 lengths: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, RNNSaved]:
    """torch.nn.LSTM cell, gates i, f, g, o. Returns (y, h_n, c_n, saved).

    saved.gates holds the activated gates (T, B, 4H), saved.c the cell
    states (T, B, H).
    """
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths = check_rnn_forward(
        "lstm", x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    bias = _bias_sum(b_ih, b_hh, 4 * H, x.dtype)
    y = np.zeros((T, B, H), dtype=x.dtype)
    gates = np.zeros((T, B, 4 * H), dtype=x.dtype)
    cs = np.zeros((T, B, H), dtype=x.dtype)
    h, c = h0.copy(), c0.copy()
    for t in range(T):
        a = x[t] @ w_ih.T + h @ w_hh.T + bias
        i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        m = _step_mask(lengths, t, B)
        gates[t] = np.concatenate([i, f, g, o], axis=1)
        c = np.where(m, c_new, c)
        h = np.where(m, h_new, h)
        cs[t] = c
        y[t] = np.where(m, h_new, 0)
    saved = rnn_saved("lstm", x, h0, w_ih, w_hh, b_ih, b_hh, lengths, y, c0=c0, gates=gates,
                      c=cs)
    return y, h, c, saved


def lstm_backward(dy: np.ndarray | None, dh_n: np.ndarray | None, dc_n: np.ndarray | None,
                  saved: RNNSaved) -> tuple[np.ndarray | None, ...]:
    """Returns (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, dc_n = check_rnn_backward("lstm", saved, dy, dh_n, dc_n)
    y, gates, cs, c0 = saved.y, saved.gates, saved.c, saved.c0
    w_hh, lengths = saved.w_hh, saved.lengths
    T, B, H = y.shape
    dh = np.zeros((B, H), y.dtype) if dh_n is None else dh_n.copy()
    dc = np.zeros((B, H), y.dtype) if dc_n is None else dc_n.copy()
    dgates = np.zeros_like(gates)
    for t in range(T - 1, -1, -1):
        m = _step_mask(lengths, t, B)
        i, f, g, o = (gates[t, :, k * H:(k + 1) * H] for k in range(4))
        c_prev = cs[t - 1] if t > 0 else c0
        tc = np.tanh(cs[t])
        dh_t = dh + (dy[t] if dy is not None else 0)
        dc_t = dc + dh_t * o * (1 - tc ** 2)
        da = np.concatenate([dc_t * g * i * (1 - i),        # input gate
                             dc_t * c_prev * f * (1 - f),   # forget gate
                             dc_t * i * (1 - g ** 2),       # cell candidate
                             dh_t * tc * o * (1 - o)],      # output gate
                            axis=1)
        dgates[t] = np.where(m, da, 0)
        dh = np.where(m, dgates[t] @ w_hh, dh)
        dc = np.where(m, dc_t * f, dc)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(saved, dgates, dgates)
    return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- GRU
def gru_forward(x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                b_ih: np.ndarray | None = None, b_hh: np.ndarray | None = None,
                lengths: Any = None) -> tuple[np.ndarray, np.ndarray, RNNSaved]:
    """torch.nn.GRU cell, gates r, z, n. Returns (y, h_n, saved).

    r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    saved.gates holds r, z, n (T, B, 3H); saved.hn holds W_hn h + b_hn.
    """
    x, h0, _, w_ih, w_hh, b_ih, b_hh, lengths = check_rnn_forward(
        "gru", x, h0, None, w_ih, w_hh, b_ih, b_hh, lengths)
    T, B, _ = x.shape
    H = w_hh.shape[1]
    bi = _bias_sum(b_ih, None, 3 * H, x.dtype)
    bh = _bias_sum(None, b_hh, 3 * H, x.dtype)
    y = np.zeros((T, B, H), dtype=x.dtype)
    gates = np.zeros((T, B, 3 * H), dtype=x.dtype)
    hns = np.zeros((T, B, H), dtype=x.dtype)
    h = h0.copy()
    for t in range(T):
        gi = x[t] @ w_ih.T + bi
        gh = h @ w_hh.T + bh
        r = _sigmoid(gi[:, :H] + gh[:, :H])
        z = _sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        hn = gh[:, 2 * H:]
        n = np.tanh(gi[:, 2 * H:] + r * hn)
        h_new = (1 - z) * n + z * h
        m = _step_mask(lengths, t, B)
        gates[t] = np.concatenate([r, z, n], axis=1)
        hns[t] = hn
        h = np.where(m, h_new, h)
        y[t] = np.where(m, h_new, 0)
    return y, h, rnn_saved("gru", x, h0, w_ih, w_hh, b_ih, b_hh, lengths, y, gates=gates, hn=hns)


def gru_backward(dy: np.ndarray | None, dh_n: np.ndarray | None, saved: RNNSaved) -> tuple[np.ndarray | None, ...]:
    """Returns (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    dy, dh_n, _ = check_rnn_backward("gru", saved, dy, dh_n)
    y, h0, gates, hns = saved.y, saved.h0, saved.gates, saved.hn
    w_hh, lengths = saved.w_hh, saved.lengths
    T, B, H = y.shape
    dh = np.zeros((B, H), y.dtype) if dh_n is None else dh_n.copy()
    dg_ih = np.zeros_like(gates)   # grads of W_ih x + b_ih
    dg_hh = np.zeros_like(gates)   # grads of W_hh h + b_hh (differs in the n part)
    for t in range(T - 1, -1, -1):
        m = _step_mask(lengths, t, B)
        r, z, n = (gates[t, :, k * H:(k + 1) * H] for k in range(3))
        h_prev = y[t - 1] if t > 0 else h0
        dh_t = dh + (dy[t] if dy is not None else 0)
        dn = dh_t * (1 - z) * (1 - n ** 2)
        dr = dn * hns[t] * r * (1 - r)
        dz = dh_t * (h_prev - n) * z * (1 - z)
        dg_ih[t] = np.where(m, np.concatenate([dr, dz, dn], axis=1), 0)
        dg_hh[t] = np.where(m, np.concatenate([dr, dz, dn * r], axis=1), 0)
        dh = np.where(m, dh_t * z + dg_hh[t] @ w_hh, dh)
    dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(saved, dg_ih, dg_hh)
    return dx, dh, dw_ih, dw_hh, db_ih, db_hh


# ---------------------------------------------------------------- helpers (used above)
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _step_mask(lengths, t, B):
    """(B, 1) bool: which sequences are still running at step t."""
    if lengths is None:
        return np.ones((B, 1), dtype=bool)
    return (t < lengths)[:, None]


def _bias_sum(b_ih, b_hh, n, dtype):
    b = np.zeros(n, dtype=dtype)
    if b_ih is not None:
        b = b + b_ih
    if b_hh is not None:
        b = b + b_hh
    return b


def _weight_grads(saved, dg_ih, dg_hh):
    """dx, dW_ih, dW_hh, db_ih, db_hh from the per-step pre-activation grads."""
    x, h0, y = saved.x, saved.h0, saved.y
    T, B, I = x.shape
    GH, H = saved.w_hh.shape
    h_prev = np.concatenate([h0[None], y[:-1]], axis=0)[:T]  # valid steps see the true state
    dx = dg_ih @ saved.w_ih
    dw_ih = dg_ih.reshape(T * B, GH).T @ x.reshape(T * B, I)
    dw_hh = dg_hh.reshape(T * B, GH).T @ h_prev.reshape(T * B, H)
    db_ih = dg_ih.sum(axis=(0, 1)) if saved.has_b_ih else None
    db_hh = dg_hh.sum(axis=(0, 1)) if saved.has_b_hh else None
    return dx, dw_ih, dw_hh, db_ih, db_hh
