"""Checks of the recurrent family (Elman RNN, LSTM, GRU) and its saved context, RNNSaved.

Every backend's *_forward calls check_rnn_forward and every *_backward
check_rnn_saved and check_rnn_grads, before any kernel runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import check_array, check_optional_array

__all__ = ["RNNSaved", "batch_major_view", "check_nonlinearity", "check_rnn_backward", "check_rnn_forward",
           "check_rnn_grads", "check_rnn_saved", "rnn_saved"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_LAYOUT = {"rnn": "(H, ...)", "lstm": "(4*H, ...)", "gru": "(3*H, ...)"}


@dataclass(eq=False)
class RNNSaved:
    """What rnn_forward / lstm_forward / gru_forward keep for the backward, whichever backend ran.

    ``kind`` is 'rnn', 'lstm' or 'gru'; x (T, B, I) (C-contiguous, or the native
    backend's batch_major_view of batch_first input), h0 (B, H), the weights,
    y (T, B, H) and lengths (int64 (B,) or None) are common; the rest per kind:
    nonlinearity ('tanh' or 'relu', rnn), c0 (B, H), gates (T, B, 4H) and the
    cell states c (T, B, H) (lstm), gates r, z, n (T, B, 3H) and hn = W_hn h + b_hn
    (T, B, H) (gru). The others are None. ``need_dx`` and ``need_dh0`` are set by the
    caller before the backward: False when x (h0) needs no gradient (the native
    backward then skips dx, and the last step's product that gives dh0, returned
    as zeros).
    """

    __slots__ = ("kind", "x", "h0", "w_ih", "w_hh", "has_b_ih", "has_b_hh", "lengths", "y",
                 "nonlinearity", "c0", "gates", "c", "hn", "need_dx", "need_dh0")
    kind: str
    x: Any
    h0: Any
    w_ih: Any
    w_hh: Any
    has_b_ih: bool
    has_b_hh: bool
    lengths: Any
    y: Any
    nonlinearity: str | None
    c0: Any
    gates: Any
    c: Any
    hn: Any
    need_dx: bool
    need_dh0: bool


def rnn_saved(kind: str, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
              lengths: Any, y: Any, *, nonlinearity: str | None = None, c0: Any = None,
              gates: Any = None, c: Any = None, hn: Any = None) -> RNNSaved:
    """The RNNSaved of a ``kind`` forward (only the biases' presence is kept)."""
    return RNNSaved(kind, x, h0, w_ih, w_hh, b_ih is not None, b_hh is not None, lengths, y,
                    nonlinearity, c0, gates, c, hn, True, True)


def check_nonlinearity(nonlinearity: Any) -> str:
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
    return str(nonlinearity)


def _check_lengths(lengths: Any, T: int, B: int) -> np.ndarray | None:
    if lengths is None:
        return None
    arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"lengths: expected an integer array, got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ValueError(f"lengths: expected shape ({B},) (one length per batch entry), "
                         f"got {arr.shape}")
    if B and (arr.min() < 1 or arr.max() > T):
        raise ValueError(f"lengths: every length must be in [1, {T}] (T = x.shape[0]), "
                         f"got min {arr.min()} and max {arr.max()}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _c_aligned(a: Any) -> Any:
    """C-contiguous and aligned (np.ascontiguousarray keeps a misaligned buffer as it is)."""
    return None if a is None else np.require(a, requirements=("C", "A"))


def batch_major_view(a: Any) -> bool:
    """True when ``a`` (T, B, F) is the (1, 0, 2) transpose of an aligned C-contiguous
    (B, T, F) array, as batch_first input arrives (a kernel may read it in place)."""
    t = a.transpose(1, 0, 2)
    return (not a.flags.c_contiguous and t.flags.c_contiguous
            and getattr(t.flags, "aligned", True))


def check_rnn_forward(kind: str, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any,
                      b_hh: Any, lengths: Any, nonlinearity: Any = "tanh",
                      keep_batch_major: bool = False) -> tuple[Any, ...]:
    """Check a forward call of ``kind`` ('rnn' | 'lstm' | 'gru'; nonlinearity: rnn's).

    Returns C-contiguous (x, h0, c0, w_ih, w_hh, b_ih, b_hh, lengths); c0 is
    None except for LSTM, lengths int64 or None. With ``keep_batch_major``, an
    x that is a batch_major_view stays that view (no copy).
    """
    if kind == "rnn":
        check_nonlinearity(nonlinearity)
    G = GATES[kind]
    dt = check_array("x", x, 3)
    check_array("w_hh", w_hh, 2, dt)
    GH, H = w_hh.shape
    if H < 1 or GH != G * H:
        raise ValueError(f"w_hh: expected shape {_LAYOUT[kind].replace('...', 'H')} with H >= 1, "
                         f"got {tuple(w_hh.shape)}")
    check_array("w_ih", w_ih, 2, dt)
    T, B, I = x.shape
    if w_ih.shape[0] != G * H or w_ih.shape[1] < 1:
        raise ValueError(f"w_ih: expected shape ({G * H}, input_size) to match w_hh "
                         f"{tuple(w_hh.shape)}, got {tuple(w_ih.shape)}")
    if I != w_ih.shape[1]:
        raise ValueError(f"x: expected input size {w_ih.shape[1]} (x.shape[2], from w_ih "
                         f"{tuple(w_ih.shape)}), got x of shape {tuple(x.shape)}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        check_optional_array(name, b, 1, dt)
        if b is not None and b.shape != (G * H,):
            raise ValueError(f"{name}: expected shape ({G * H},), got {tuple(b.shape)}")
    states = [("h0", h0)] + ([("c0", c0)] if kind == "lstm" else [])
    for name, s in states:
        if s is None:
            raise TypeError(f"{name}: expected an array of shape ({B}, {H}), got None")
        check_array(name, s, 2, dt)
        if s.shape != (B, H):
            raise ValueError(f"{name}: expected shape ({B}, {H}) (batch, hidden), "
                             f"got {tuple(s.shape)}")
    c = _c_aligned
    if not (keep_batch_major and batch_major_view(x)):
        x = c(x)
    return (x, c(h0), c(c0) if kind == "lstm" else None, c(w_ih), c(w_hh), c(b_ih), c(b_hh),
            _check_lengths(lengths, T, B))


# Arrays each kind keeps beyond the common ones, by shape in units of (T, B, H)
# (None: (B, H)); the fields a kind does not use must be None.
_EXTRA = {"rnn": (), "lstm": (("c0", None), ("gates", 4), ("c", 1)),
          "gru": (("gates", 3), ("hn", 1))}


def check_rnn_saved(kind: str, saved: Any, array_type: Any = np.ndarray) -> tuple[int, int, int]:
    """``saved`` is an RNNSaved a ``kind`` forward could have returned; returns (T, B, H).

    The native backward hands every array in it to C without bounds checks,
    so one that was edited or mixed from two calls (another T, B or H,
    another dtype, a strided view other than x's batch_major_view, bad lengths,
    not ``array_type``) is rejected here.
    """
    def bad() -> TypeError:
        return TypeError(f"saved: expected the RNNSaved returned by {kind}_forward")

    if not isinstance(saved, RNNSaved) or saved.kind != kind:
        raise bad()
    x = saved.x
    if not isinstance(x, array_type) or x.dtype not in (np.float32, np.float64):
        raise bad()
    dt = x.dtype

    def arr(a: Any, shape: tuple[int, ...] | None = None, ndim: int | None = None,
            batch_major: bool = False) -> Any:
        # cupy's flags have no 'aligned': its arrays always are
        if (not isinstance(a, array_type) or a.dtype != dt
                or not (a.flags.c_contiguous or (batch_major and a.ndim == 3
                                                 and batch_major_view(a)))
                or not getattr(a.flags, "aligned", True)
                or (shape is not None and a.shape != shape)
                or (ndim is not None and a.ndim != ndim)):
            raise bad()
        return a

    T, B, I = arr(x, ndim=3, batch_major=True).shape
    w_hh = arr(saved.w_hh, ndim=2)
    G = GATES[kind]
    H = w_hh.shape[1]
    if H < 1 or w_hh.shape[0] != G * H:
        raise bad()
    arr(saved.w_ih, (G * H, I))
    arr(saved.h0, (B, H))
    arr(saved.y, (T, B, H))
    used = dict(_EXTRA[kind])
    for key in ("c0", "gates", "c", "hn"):
        value = getattr(saved, key)
        if key not in used:
            if value is not None:
                raise bad()
            continue
        g = used[key]
        arr(value, (B, H) if g is None else (T, B, g * H))
    if type(saved.has_b_ih) is not bool or type(saved.has_b_hh) is not bool:
        raise bad()
    wrong = (saved.nonlinearity not in ("tanh", "relu") if kind == "rnn"
             else saved.nonlinearity is not None)
    if wrong:
        raise bad()
    lengths = saved.lengths
    if lengths is not None:
        if (not isinstance(lengths, array_type) or lengths.dtype != np.int64
                or not lengths.flags.c_contiguous or lengths.shape != (B,)):
            raise bad()
        if B and T and (int(lengths.min()) < 1 or int(lengths.max()) > T):
            raise bad()
    return T, B, H


def check_rnn_grads(kind: str, T: int, B: int, H: int, dtype: Any, dy: Any, dh_n: Any,
                    dc_n: Any = None, keep_batch_major: bool = False) -> tuple[Any, Any, Any]:
    """Check the output gradients of a backward call (None: zero); returns them
    C-contiguous, Nones kept (dc_n None unless LSTM). With ``keep_batch_major``,
    a dy that is a batch_major_view stays that view."""
    out: list[Any] = []
    grads = [("dy", dy, (T, B, H)), ("dh_n", dh_n, (B, H))]
    if kind == "lstm":
        grads.append(("dc_n", dc_n, (B, H)))
    for name, g, shape in grads:
        if g is None:
            out.append(None)
            continue
        check_array(name, g, len(shape), dtype)
        if g.shape != shape:
            raise ValueError(f"{name}: expected shape {shape}, got {tuple(g.shape)}")
        keep = keep_batch_major and name == "dy" and batch_major_view(g)
        out.append(g if keep else np.ascontiguousarray(g))
    if kind != "lstm":
        out.append(None)
    return out[0], out[1], out[2]


def check_rnn_backward(kind: str, saved: Any, dy: Any, dh_n: Any, dc_n: Any = None,
                       keep_batch_major: bool = False) -> tuple[Any, Any, Any]:
    """check_rnn_saved then check_rnn_grads, for NumPy arrays; returns (dy, dh_n, dc_n)."""
    T, B, H = check_rnn_saved(kind, saved)
    return check_rnn_grads(kind, T, B, H, saved.x.dtype, dy, dh_n, dc_n, keep_batch_major)
