"""Scaled dot-product attention, reference version: forward and backward.

For each of B independent (batch x head) problems, queries q (L, E), keys
k (S, E), values v (S, Ev):

    scores = scale * q @ k^T + bias            (bias: additive mask, -inf = blocked)
    scores[i, j] = -inf        where causal and j > i
    p      = softmax(scores, axis=-1)          (a row with every entry -inf: 0, or NaN)
    pd     = p * keep                          (dropout: keep is 0 or 1/(1-dropout_p))
    out    = pd @ v

Backward (dout, and optionally a gradient dpd_extra of the returned weights pd):

    dv = pd^T @ dout;   dpd = dout @ v^T + dpd_extra;   dp = dpd * keep
    ds = p * (dp - rowsum(dp * p))             (softmax backward; = d bias)
    dq = scale * ds @ k;   dk = scale * ds^T @ q

The fast version is fastnn/backends/native/attention/__init__.py: the same
products on fastnn's batched GEMM around one fused scale/mask/softmax pass
(attention_softmax_kernel.c). The checks and AttentionSaved are in
fastnn/backends/_validate/attention.py.
"""
from __future__ import annotations

import numpy as np

from .._validate.attention import AttentionSaved, check_attention, check_attention_backward

__all__ = ["attention_forward", "attention_backward"]


def attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, bias: np.ndarray | None = None,
                      scale: float | None = None, causal: bool = False,
                      keep: np.ndarray | None = None,
                      empty_rows: str = "zero") -> tuple[np.ndarray, np.ndarray, AttentionSaved]:
    """(out (B, L, Ev), weights pd (B, L, S), saved); scale None: 1/sqrt(E)."""
    scale = check_attention(q, k, v, bias, scale, causal, keep, empty_rows)
    p = softmax_rows(masked_scores(q @ k.transpose(0, 2, 1), bias, scale, causal), empty_rows)
    pd = p * keep if keep is not None else p
    return pd @ v, pd, AttentionSaved(q, k, v, p, keep, scale)


def attention_backward(dout: np.ndarray, saved: AttentionSaved,
                       dweights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """(dq, dk, dv, dscores): dscores is the gradient of the masked scores (= of bias)."""
    check_attention_backward(dout, saved, dweights)
    q, k, v, p, keep, scale = saved.q, saved.k, saved.v, saved.p, saved.keep, saved.scale
    pd = p * keep if keep is not None else p
    dv = pd.transpose(0, 2, 1) @ dout
    dp = dout @ v.transpose(0, 2, 1)
    if dweights is not None:
        dp = dp + dweights
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    t = q.dtype.type(scale)
    return (ds @ k) * t, (ds.transpose(0, 2, 1) @ q) * t, dv, ds


def masked_scores(scores, bias, scale, causal):
    """scale * scores + bias, -inf above the diagonal when causal (a new array)."""
    s = scores * scores.dtype.type(scale)
    if bias is not None:
        s = s + bias
    if causal:
        L, S = s.shape[1:]
        s = np.where(np.triu(np.ones((L, S), dtype=bool), 1), s.dtype.type(-np.inf), s)
    return s


def softmax_rows(s, empty_rows):
    """Softmax over the last axis; rows whose entries are all -inf give 0 (or NaN)."""
    m = s.max(axis=-1, keepdims=True)
    empty = m == -np.inf
    e = np.exp(s - np.where(empty, 0, m))
    p = e / np.where(empty, 1, e.sum(axis=-1, keepdims=True))
    if empty_rows == "nan":
        p = np.where(empty, s.dtype.type(np.nan), p)
    return p.astype(s.dtype, copy=False)
