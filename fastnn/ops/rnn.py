"""Functions behind fastnn.nn's recurrent layers and fastnn.nn.utils.rnn packing.

``Recurrent`` is one (layer, direction) of an RNN / LSTM / GRU over a whole
sequence: its forward calls the backend's ``{kind}_forward`` kernel once and
its backward the matching ``{kind}_backward`` once (backpropagation through
time happens inside the kernel). The reverse direction of a bidirectional
layer runs the same kernel on the time-reversed sequence; with ``lengths``
only each sequence's valid part is reversed, so its padding stays at the end
where the kernel expects it (frozen state, zero output, zero gradient).

``PackIndex`` / ``UnpackIndex`` move rows between a padded time-major batch
(T, B, *) and PyTorch's packed layout (the valid rows of every step, step after
step, batch entries in decreasing-length order).
"""
import numpy as np

from ..autograd.function import Function
from ..backends import get_backend, is_cupy_array

__all__ = ["Recurrent", "PackIndex", "UnpackIndex", "reverse_index", "array_module"]


def array_module(a):
    """numpy, or the cupy module the cupy backend runs on (so its test stand-in works too)."""
    if is_cupy_array(a):
        from ..backends.cupy._runtime import cp
        return cp()
    return np


def reverse_index(T, lengths):
    """(T, B) int64 time index that reverses each sequence's first lengths[b] steps.

    Padded steps map to themselves, so the permutation is its own inverse.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    t = np.arange(T, dtype=np.int64)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _time_reverse(a, rev):
    """``a`` (T, B, ...) reversed in time: all steps (rev None) or per sequence."""
    if rev is None:
        return a[::-1]
    xp = array_module(a)
    cols = np.arange(rev.shape[1])[None, :]
    return a[xp.asarray(rev), xp.asarray(cols)]


class Recurrent(Function):
    """One layer, one direction: (x, h0[, c0], weights) -> (y, h_n[, c_n]).

    x is time-major (T, B, I). ``kind`` is 'rnn' | 'lstm' | 'gru'; c0 is None
    except for LSTM; ``lengths`` (host int array of B, or None) marks the
    valid steps of each sequence.
    """

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, kind="lstm", nonlinearity="tanh",
                lengths=None, reverse=False):
        be = get_backend(x)
        self.kind = kind
        self.rev = None
        if reverse:
            self.rev = reverse_index(x.shape[0], lengths) if lengths is not None else None
            x = _time_reverse(x, self.rev)
        self.reverse = reverse
        if kind == "lstm":
            y, h_n, c_n, self.saved = be.lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                      lengths=lengths)
        elif kind == "gru":
            y, h_n, self.saved = be.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, lengths=lengths)
        else:
            y, h_n, self.saved = be.rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh,
                                                nonlinearity=nonlinearity, lengths=lengths)
        self.be = be
        if reverse:
            y = _time_reverse(y, self.rev)
        if kind == "lstm":
            return y, h_n, c_n
        return y, h_n

    def backward(self, dy, dh_n, dc_n=None):
        be = self.be
        # A backend may skip dx when x needs no gradient (the native one does: a
        # first layer's input rarely does), and dh0's product when h0 needs none
        # (hx=None: zeros); others return them anyway.
        self.saved.need_dx = bool(self.needs_input_grad[0])
        self.saved.need_dh0 = bool(self.needs_input_grad[1])
        if dy is not None and self.reverse:
            dy = _time_reverse(dy, self.rev)
        if self.kind == "lstm":
            dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = be.lstm_backward(dy, dh_n, dc_n,
                                                                        self.saved)
        else:
            bwd = be.gru_backward if self.kind == "gru" else be.rnn_backward
            dx, dh0, dw_ih, dw_hh, db_ih, db_hh = bwd(dy, dh_n, self.saved)
            dc0 = None
        if self.reverse and dx is not None:
            dx = _time_reverse(dx, self.rev)
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


class PackIndex(Function):
    """rows = padded.reshape(T*B, ...)[index]: padded time-major batch -> packed data."""

    def forward(self, padded, index):
        self.shape = padded.shape
        xp = array_module(padded)
        self.index = xp.asarray(index)
        flat = padded.reshape((-1,) + padded.shape[2:])
        return flat[self.index]

    def backward(self, g):
        xp = array_module(g)
        T, B = self.shape[:2]
        out = xp.zeros((T * B,) + g.shape[1:], dtype=g.dtype)
        out[self.index] = g  # rows are distinct: a plain scatter suffices
        return out.reshape(self.shape), None


class UnpackIndex(Function):
    """padded.reshape(T*B, ...)[index] = rows; every other entry = padding_value."""

    def forward(self, data, index, T, B, padding_value=0.0):
        xp = array_module(data)
        self.index = xp.asarray(index)
        out = xp.full((T * B,) + data.shape[1:], padding_value, dtype=data.dtype)
        out[self.index] = data
        return out.reshape((T, B) + data.shape[1:])

    def backward(self, g):
        flat = g.reshape((-1,) + g.shape[2:])
        return flat[self.index], None, None, None, None
