"""Checks of scaled dot-product attention and its saved context, AttentionSaved."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import check_array

__all__ = ["AttentionSaved", "check_attention", "check_attention_backward", "check_grad_shape"]

_EMPTY_ROWS = ("zero", "nan")


@dataclass(eq=False)
class AttentionSaved:
    """What attention_forward keeps for attention_backward, whichever backend ran:
    q (B, L, E), k (B, S, E), v (B, S, Ev), the softmax weights p (B, L, S)
    before dropout, the dropout factors keep (B, L, S) or None, and the scale."""

    __slots__ = ("q", "k", "v", "p", "keep", "scale")
    q: Any
    k: Any
    v: Any
    p: Any
    keep: Any
    scale: float


def check_attention(q: Any, k: Any, v: Any, bias: Any, scale: Any, causal: Any, keep: Any,
                    empty_rows: Any) -> float:
    """Check an attention call; returns the float scale (None: 1/sqrt(E))."""
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
        return 1.0 / float(np.sqrt(e)) if e else 1.0
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
        raise TypeError(f"scale: expected a float, got {scale!r}")
    return float(scale)


def check_grad_shape(name: str, g: Any, shape: tuple[int, ...], dtype: Any) -> None:
    """g is a 3-D array of ``shape`` and ``dtype``."""
    check_array(name, g, ndim=3, dtype=dtype)
    if g.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {g.shape}")


def check_attention_backward(dout: Any, saved: Any, dweights: Any = None,
                             array_type: Any = np.ndarray) -> AttentionSaved:
    """saved is an AttentionSaved whose arrays (``array_type``) agree with each other;
    dout (B, L, Ev) and dweights (B, L, S) or None match them. Returns saved."""
    if not isinstance(saved, AttentionSaved):
        raise TypeError("saved: expected the AttentionSaved returned by attention_forward")
    q, k, v, p, keep = saved.q, saved.k, saved.v, saved.p, saved.keep
    if not all(isinstance(a, array_type) for a in (q, k, v, p)) or not (
            keep is None or isinstance(keep, array_type)) or type(saved.scale) is not float:
        raise TypeError("saved: expected the AttentionSaved returned by attention_forward")
    try:
        check_attention(q, k, v, None, saved.scale, False, keep, "zero")
        check_grad_shape("p", p, q.shape[:2] + k.shape[1:2], q.dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"saved: not the AttentionSaved of one attention_forward call ({e})") from None
    check_grad_shape("dout", dout, q.shape[:2] + v.shape[2:], q.dtype)
    if dweights is not None:
        check_grad_shape("dweights", dweights, p.shape, p.dtype)
    return saved
