"""Recurrent layers: RNN, LSTM, GRU and their single-step cells (torch.nn's API).

Each (layer, direction) of a multi-layer network is one autograd node
(fastnn.ops.rnn.Recurrent) that runs the backend's sequence kernel once --
the whole time loop, forward and backward, stays inside the kernel. Layers
are stacked here: layer l + 1 reads layer l's output (both directions
concatenated on the feature axis), with dropout between layers in training.

A PackedSequence is unpacked to a padded time-major batch plus per-sequence
lengths, in the caller's batch order; the kernels' ``lengths`` argument then
keeps padded steps out of every output and gradient, and the output is packed
again with the input's layout. Parameters, shapes, gate orders and
initialisation follow PyTorch, so a torch state_dict loads unchanged.
"""
import math
import numbers
import warnings

import numpy as np

from ..._tensor import Tensor, cat, stack
from ...ops.rnn import Recurrent, PackIndex, array_module
from .. import init
from .module import Module
from ... import _sizes
from ._utils import F, _empty_parameter, _factory_dtype, _place

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_KIND = {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}


def _utils_rnn():
    from ..utils import rnn  # imported late: fastnn.nn.utils imports fastnn.nn
    return rnn


def _zeros_state(like, shape):
    xp = array_module(like._data)
    return Tensor._wrap(xp.zeros(shape, dtype=like._data.dtype))


def _check_dtype(name, t, dtype):
    if t.dtype != dtype:
        raise RuntimeError(f"{name} must have the type {dtype} (the layer's parameters), "
                           f"got type {t.dtype}")


class RNNBase(Module):
    """Shared constructor, parameters and layer stacking of RNN / LSTM / GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers), ("proj_size", proj_size)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if input_size < 0:
            raise ValueError("input_size must be non-negative")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size > 0:
            if mode != "LSTM":
                raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
            raise NotImplementedError("LSTM with proj_size > 0 is not supported by fastnn yet")
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = int(proj_size)
        D = 2 if bidirectional else 1
        G = _GATES[mode] * hidden_size
        self._check_size(input_size, hidden_size, num_layers, D, G, bias, dtype)
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih" + sfx, (G, layer_in)), ("weight_hh" + sfx, (G, hidden_size))]
                if bias:
                    shapes += [("bias_ih" + sfx, (G,)), ("bias_hh" + sfx, (G,))]
                for name, shape in shapes:
                    setattr(self, name, _empty_parameter(shape, dtype))
                    self._flat_weights_names.append(name)
        self.reset_parameters()
        _place(self, device)

    def _check_size(self, input_size, hidden_size, num_layers, D, G, bias, dtype):
        """All the layers' parameters, counted before the first is made: a layer loop
        over num_layers=10**9 would otherwise run for hours before memory ran out."""
        per_dir_first = G * (input_size + hidden_size) + (2 * G if bias else 0)
        per_dir_rest = G * (D * hidden_size + hidden_size) + (2 * G if bias else 0)
        elements = D * (per_dir_first + (num_layers - 1) * per_dir_rest)
        tensors = num_layers * D * (4 if bias else 2)
        nbytes = elements * _factory_dtype(dtype).itemsize + tensors * _sizes.TENSOR_OVERHEAD
        _sizes.check_bytes(f"{type(self).__name__}: input_size={input_size}, "
                           f"hidden_size={hidden_size}, num_layers={num_layers}", nbytes,
                           f"{tensors} parameter tensors of {elements} elements")

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self):
        """No-op (cuDNN's weight flattening has no meaning here); kept for ported code."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        n = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + n] for i in range(0, len(w), n)]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --------------------------------------------------------------- forward pieces
    def _prepare_input(self, input):
        """-> (x time-major (T, B, I), lengths or None, packed input or None, batched)."""
        name = type(self).__name__
        rnn_utils = _utils_rnn()
        if isinstance(input, rnn_utils.PackedSequence):
            x, lengths = rnn_utils.pad_packed_sequence(input)
            lengths = lengths._data
            packed, batched = input, True
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, "
                                f"got {type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 "tensor instead")
            batched = input.dim() == 3
            x = input
            if not batched:
                x = x.unsqueeze(1)
            elif self.batch_first:
                x = x.transpose(0, 1)
            lengths, packed = None, None
        dtype = self.weight_ih_l0.dtype
        _check_dtype("input", x, dtype)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        return x, lengths, packed, batched

    def _prepare_state(self, h, x, batched, which=None):
        D = 2 if self.bidirectional else 1
        B = x.shape[1]
        expected = (self.num_layers * D, B, self.hidden_size)
        if h is None:
            return _zeros_state(x, expected)
        if not isinstance(h, Tensor):
            raise TypeError(f"{type(self).__name__}: hx must be a Tensor, got {type(h).__name__}")
        if batched and h.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{h.dim()}-D tensor")
        if not batched:
            if h.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{h.dim()}-D tensor")
            h = h.unsqueeze(1)
        if h.shape != expected:
            label = "hidden" if which is None else f"hidden[{which}]"
            raise RuntimeError(f"Expected {label} size {expected}, got {list(h.shape)}")
        _check_dtype("hx" if which is None else f"hx[{which}]", h, x.dtype)
        return h

    def _run(self, x, h0, c0, lengths):
        """Stack the layers; returns (y (T, B, D*H), h_n, c_n or None)."""
        kind = _KIND[self.mode]
        nonlin = "relu" if self.mode == "RNN_RELU" else "tanh"
        D = 2 if self.bidirectional else 1
        weights = self._flat_weights
        per = 4 if self.bias else 2
        hs, cs = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w = weights[k * per:(k + 1) * per]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                res = Recurrent.apply(layer_in, h0[k], None if c0 is None else c0[k],
                                      w_ih, w_hh, b_ih, b_hh, kind=kind, nonlinearity=nonlin,
                                      lengths=lengths, reverse=d == 1)
                outs.append(res[0])
                hs.append(res[1])
                if kind == "lstm":
                    cs.append(res[2])
            layer_out = outs[0] if D == 1 else cat(outs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_out = F.dropout(layer_out, self.dropout, True)
            layer_in = layer_out
        h_n = stack(hs, 0)
        c_n = stack(cs, 0) if cs else None
        return layer_in, h_n, c_n

    def _finish_output(self, y, packed, batched):
        if packed is not None:
            index, _ = _utils_rnn().packed_layout(packed.batch_sizes, packed.sorted_indices)
            return type(packed)(PackIndex.apply(y, index), packed.batch_sizes,
                                packed.sorted_indices, packed.unsorted_indices)
        if not batched:
            return y.squeeze(1)
        return y.transpose(0, 1) if self.batch_first else y

    def forward(self, input, hx=None):
        x, lengths, packed, batched = self._prepare_input(input)
        if isinstance(hx, (tuple, list)):
            raise RuntimeError(f"{type(self).__name__}: hx must be a Tensor, not a tuple "
                               "(only LSTM takes (h_0, c_0))")
        h0 = self._prepare_state(hx, x, batched)
        y, h_n, _ = self._run(x, h0, None, lengths)
        if not batched:
            h_n = h_n.squeeze(1)
        return self._finish_output(y, packed, batched), h_n


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu).

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False). forward(input, hx=None)
    returns (output, h_n).
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    # No extra_repr of its own: PyTorch's RNN prints like the base class, without
    # nonlinearity, and repr(model) is part of what ports unchanged.


class LSTM(RNNBase):
    """LSTM, gates i, f, g, o. forward(input, (h_0, c_0)=None) returns
    (output, (h_n, c_n)). proj_size > 0 is not supported."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        x, lengths, packed, batched = self._prepare_input(input)
        if hx is None:
            h0 = c0 = None
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two Tensors")
            h0, c0 = hx
        h0 = self._prepare_state(h0, x, batched, which=0 if hx is not None else None)
        c0 = self._prepare_state(c0, x, batched, which=1 if hx is not None else None)
        y, h_n, c_n = self._run(x, h0, c0, lengths)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish_output(y, packed, batched), (h_n, c_n)


class GRU(RNNBase):
    """GRU, gates r, z, n. forward(input, hx=None) returns (output, h_n)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,)."""

    _kind = None

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        what = f"{type(self).__name__}: input_size={input_size}, hidden_size={hidden_size}"
        self.weight_ih = _empty_parameter((num_chunks * hidden_size, input_size), dtype, what=what)
        self.weight_hh = _empty_parameter((num_chunks * hidden_size, hidden_size), dtype,
                                          what=what)
        if bias:
            self.bias_ih = _empty_parameter((num_chunks * hidden_size,), dtype, what=what)
            self.bias_hh = _empty_parameter((num_chunks * hidden_size,), dtype, what=what)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _prepare(self, input, states):
        """-> (x (1, B, I), states each (B, H), batched)."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        _check_dtype("input", x, self.weight_ih.dtype)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        B = x.shape[0]
        out = []
        for i, h in enumerate(states):
            if h is None:
                out.append(_zeros_state(x, (B, self.hidden_size)))
                continue
            if not isinstance(h, Tensor):
                raise TypeError(f"{name}: hx must be a Tensor, got {type(h).__name__}")
            if h.dim() != input.dim():
                raise ValueError(f"{name}: Expected hidden to be {input.dim()}D (like the "
                                 f"input), got {h.dim()}D instead")
            if not batched:
                h = h.unsqueeze(0)
            if h.shape[0] != B:
                raise RuntimeError(f"Input batch size {B} doesn't match hidden{i} batch size "
                                   f"{h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                                   f"expected {self.hidden_size}")
            _check_dtype(f"hidden{i}", h, x.dtype)
            out.append(h)
        return x.unsqueeze(0), out, batched

    def _step(self, x, h, c=None, nonlinearity="tanh"):
        return Recurrent.apply(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                               self.bias_hh, kind=self._kind, nonlinearity=nonlinearity)


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    _kind = "rnn"

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        h1 = self._step(x, h, nonlinearity=self.nonlinearity)[1]
        return h1 if batched else h1.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; forward(input, (h, c)=None) returns (h', c')."""

    _kind = "lstm"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise RuntimeError("LSTMCell: hx must be a tuple (h, c) of two Tensors")
        x, (h, c), batched = self._prepare(input, list(hx))
        _, h1, c1 = self._step(x, h, c)
        if not batched:
            return h1.squeeze(0), c1.squeeze(0)
        return h1, c1


class GRUCell(RNNCellBase):
    """One GRU step; forward(input, hx=None) returns h'."""

    _kind = "gru"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        h1 = self._step(x, h)[1]
        return h1 if batched else h1.squeeze(0)
