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
(attention_softmax_kernel.c). Both share the checks below.
"""
import numpy as np

from .._validate import check_array

__all__ = ["attention_forward", "attention_backward"]

_EMPTY_ROWS = ("zero", "nan")


def check_attention(q, k, v, bias, scale, causal, keep, empty_rows):
    """Validate an attention call (shared by the backends); return the float scale
    (None: 1/sqrt(E))."""
    dtype = check_array("q", q, ndim=3)
    check_array("k", k, ndim=3, dtype=dtype)
    check_array("v", v, ndim=3, dtype=dtype)
    b, L, e = q.shape
    if k.shape[0] != b or k.shape[2] != e:
        raise ValueError(f"k: expected shape ({b}, S, {e}) for q of shape {q.shape}, got {k.shape}")
    if v.shape[:2] != k.shape[:2]:
        raise ValueError(f"v: expected shape {k.shape[:2]} + (Ev,) (k's batch and length), "
                         f"got {v.shape}")
    s = k.shape[1]
    if bias is not None:
        check_array("bias", bias, ndim=3, dtype=dtype)
        if bias.shape not in ((b, L, s), (1, L, s)):
            raise ValueError(f"bias: expected shape ({b}, {L}, {s}) or (1, {L}, {s}), "
                             f"got {bias.shape}")
    if keep is not None:
        check_array("keep", keep, ndim=3, dtype=dtype)
        if keep.shape != (b, L, s):
            raise ValueError(f"keep: expected shape ({b}, {L}, {s}), got {keep.shape}")
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal: expected a bool, got {causal!r}")
    if empty_rows not in _EMPTY_ROWS:
        raise ValueError(f"empty_rows: expected one of {_EMPTY_ROWS}, got {empty_rows!r}")
    if scale is None:
        return 1.0 / np.sqrt(e) if e else 1.0
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
        raise TypeError(f"scale: expected a float, got {scale!r}")
    return float(scale)


def check_saved(saved):
    """(q, k, v, p, keep, scale) of a forward's ``saved``, each checked against the others."""
    if not isinstance(saved, tuple) or len(saved) != 7 or saved[-1] != "attention":
        raise TypeError("saved: expected the saved tuple returned by attention_forward")
    q, k, v, p, keep, scale = saved[:-1]
    try:
        scale = check_attention(q, k, v, None, scale, False, keep, "zero")
        check_grad("p", p, q.shape[:2] + k.shape[1:2], q.dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"saved: not the saved tuple of one attention_forward call ({e})") from None
    return q, k, v, p, keep, scale


def check_grad(name, g, shape, dtype):
    check_array(name, g, ndim=3, dtype=dtype)
    if g.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {g.shape}")


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


def attention_forward(q, k, v, bias=None, scale=None, causal=False, keep=None, empty_rows="zero"):
    """(out (B, L, Ev), weights pd (B, L, S), saved); scale None: 1/sqrt(E)."""
    scale = check_attention(q, k, v, bias, scale, causal, keep, empty_rows)
    p = softmax_rows(masked_scores(q @ k.transpose(0, 2, 1), bias, scale, causal), empty_rows)
    pd = p * keep if keep is not None else p
    return pd @ v, pd, (q, k, v, p, keep, scale, "attention")


def attention_backward(dout, saved, dweights=None):
    """(dq, dk, dv, dscores): dscores is the gradient of the masked scores (= of bias)."""
    q, k, v, p, keep, scale = check_saved(saved)
    check_grad("dout", dout, q.shape[:2] + v.shape[2:], q.dtype)
    pd = p * keep if keep is not None else p
    dv = pd.transpose(0, 2, 1) @ dout
    dp = dout @ v.transpose(0, 2, 1)
    if dweights is not None:
        check_grad("dweights", dweights, p.shape, p.dtype)
        dp = dp + dweights
    if keep is not None:
        dp = dp * keep
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    t = q.dtype.type(scale)
    return (ds @ k) * t, (ds.transpose(0, 2, 1) @ q) * t, dv, ds
