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
initialisation follow PyTorch, so a torch state_dict loads unchanged. The
single-step cells are in _rnn_cell.py (importable from here too, PyTorch's path).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._tensor import Tensor, cat, stack
from ...ops.rnn import Recurrent, PackIndex
from .. import init
from .module import Module
from ... import _sizes
from ._utils import F, _empty_parameter, _factory_dtype, _place
from ._rnn_cell import RNNCellBase, RNNCell, LSTMCell, GRUCell, _check_dtype, _zeros_state

if TYPE_CHECKING:
    from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_KIND = {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}


_UTILS_RNN: Any = None


def _utils_rnn() -> Any:
    """fastnn.nn.utils.rnn, imported on first use (it imports fastnn.nn) and then
    kept: an import statement per forward runs importlib's Python code, on the
    cold caches a training step leaves between its kernels (~20 us, Zen 4)."""
    global _UTILS_RNN
    if _UTILS_RNN is None:
        from ..utils import rnn
        _UTILS_RNN = rnn
    return _UTILS_RNN


_Input = Any  # a Tensor or a PackedSequence


class RNNBase(Module):
    """The shared constructor, parameters and layer stacking of RNN, LSTM and GRU.

    Args:
        mode (str): ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, device, dtype: as documented on :class:`RNN`.
        proj_size (int): must be 0 (LSTM projections are not supported yet).

    Example::

        >>> rnn = nn.modules.rnn.RNNBase("GRU", 4, 8, num_layers=2)
        >>> [name for name, _ in rnn.named_parameters()][:4]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
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
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih" + sfx, (G, layer_in)), ("weight_hh" + sfx, (G, hidden_size))]
                if bias:
                    shapes += [("bias_ih" + sfx, (G,)), ("bias_hh" + sfx, (G,))]
                for name, shape in shapes:
                    setattr(self, name, _empty_parameter(shape, dtype))
                    self._flat_weights_names.append(name)
        self.reset_parameters()
        _place(self, device)

    def _check_size(self, input_size: int, hidden_size: int, num_layers: int, D: int, G: int,
                    bias: bool, dtype: Any) -> None:
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

    def reset_parameters(self) -> None:
        """Draw every weight and bias again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op (cuDNN's weight flattening has no meaning here); kept for ported code."""

    @property
    def _flat_weights(self) -> list[Any]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Any]]:
        """The parameters grouped per (layer, direction): [w_ih, w_hh(, b_ih, b_hh)]."""
        n = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + n] for i in range(0, len(w), n)]

    def extra_repr(self) -> str:
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
    def _prepare_input(self, input: _Input) -> tuple[Tensor, Any, Any, bool]:
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

    def _prepare_state(self, h: Tensor | None, x: Tensor, batched: bool,
                       which: int | None = None) -> Tensor:
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

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None,
             lengths: Any) -> tuple[Tensor, Tensor, Any]:
        """Stack the layers; returns (y (T, B, D*H), h_n, c_n or None)."""
        kind = _KIND[self.mode]
        nonlin = "relu" if self.mode == "RNN_RELU" else "tanh"
        D = 2 if self.bidirectional else 1
        weights = self._flat_weights
        per = 4 if self.bias else 2
        hs: list[Tensor] = []
        cs: list[Tensor] = []
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

    def _finish_output(self, y: Tensor, packed: PackedSequence | None, batched: bool) -> _Input:
        if packed is not None:
            index, _ = _utils_rnn().packed_layout(packed.batch_sizes, packed.sorted_indices)
            return type(packed)(PackIndex.apply(y, index), packed.batch_sizes,
                                packed.sorted_indices, packed.unsorted_indices)
        if not batched:
            return y.squeeze(1)
        return y.transpose(0, 1) if self.batch_first else y

    def forward(self, input: _Input, hx: Tensor | None = None) -> tuple[_Input, Tensor]:
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
    r"""Applies a multi-layer Elman RNN with tanh or ReLU to an input sequence.

    For each step t: ``h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)``
    (ReLU instead of tanh with ``nonlinearity='relu'``).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Args:
        input_size (int): the number of features of each input step.
        hidden_size (int): H, the number of features of the hidden state.
        num_layers (int): stacked recurrent layers, layer l + 1 reading the output
            of layer l. Default: 1
        nonlinearity (str): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``
        bias (bool): learn the biases b_ih and b_hh. Default: ``True``
        batch_first (bool): input and output are (N, L, *) instead of (L, N, *)
            (the hidden states keep (D * num_layers, N, H)). Default: ``False``
        dropout (float): dropout on the output of every layer but the last, in
            training. Default: 0.0
        bidirectional (bool): also run each layer backwards in time, and
            concatenate the two directions' outputs. Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - input: :math:`(L, N, H_{in})`, :math:`(N, L, H_{in})` with ``batch_first``,
          :math:`(L, H_{in})` unbatched, or a PackedSequence (then the output is one
          too).
        - h_0: ``(D * num_layers, N, H)`` or ``(D * num_layers, H)``;
          zeros when not given. D is 2 if bidirectional, else 1.
        - output: :math:`(L, N, D * H)` (batch first with ``batch_first``), the
          last layer's hidden state at every step, both directions concatenated.
        - h_n: ``(D * num_layers, N, H)``, the final hidden state of each
          layer and direction.

    Attributes:
        weight_ih_l[k] (Parameter): (H, I) for layer 0, (H, D * H) above; x @ W_ih.T.
        weight_hh_l[k] (Parameter): (H, H).
        bias_ih_l[k], bias_hh_l[k] (Parameter): (H,).
        The ``_reverse`` suffix marks the backward direction. Every weight and bias
        starts from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(fastnn.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
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
    r"""Applies a multi-layer long short-term memory (LSTM) RNN to an input sequence.

    For each step t, with the gates in PyTorch's order i, f, g, o::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``;
    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``.

    Args:
        input_size (int): the number of features of each input step.
        hidden_size (int): H, the number of features of the hidden state.
        num_layers (int): stacked recurrent layers, layer l + 1 reading the output
            of layer l. Default: 1
        bias (bool): learn the biases b_ih and b_hh. Default: ``True``
        batch_first (bool): input and output are (N, L, *) instead of (L, N, *)
            (the hidden states keep (D * num_layers, N, H)). Default: ``False``
        dropout (float): dropout on the output of every layer but the last, in
            training. Default: 0.0
        bidirectional (bool): also run each layer backwards in time, and
            concatenate the two directions' outputs. Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32
        proj_size (int): must be 0: LSTM projections are not supported yet
            (NotImplementedError). Default: 0

    Shape:
        - input: :math:`(L, N, H_{in})`, :math:`(N, L, H_{in})` with ``batch_first``,
          :math:`(L, H_{in})` unbatched, or a PackedSequence (then the output is one
          too).
        - h_0: ``(D * num_layers, N, H)`` or ``(D * num_layers, H)``;
          zeros when not given. D is 2 if bidirectional, else 1.
        - output: :math:`(L, N, D * H)` (batch first with ``batch_first``), the
          last layer's hidden state at every step, both directions concatenated.
        - h_n: ``(D * num_layers, N, H)``, the final hidden state of each
          layer and direction.
        - c_0, c_n: the cell states, shaped as h_0 and h_n.

    Attributes:
        weight_ih_l[k] (Parameter): (4H, I) for layer 0, (4H, D * H) above;
            the four gates' weights stacked (W_ii|W_if|W_ig|W_io).
        weight_hh_l[k] (Parameter): (4H, H).
        bias_ih_l[k], bias_hh_l[k] (Parameter): (4H,).
        The ``_reverse`` suffix marks the backward direction. Every weight and bias
        starts from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Example::

        >>> lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)
        >>> output, (h_n, c_n) = lstm(fastnn.randn(3, 5, 10))
        >>> output.shape, h_n.shape, c_n.shape
        ((3, 5, 40), (4, 3, 20), (4, 3, 20))
        >>> lstm.weight_ih_l0.shape, lstm.weight_hh_l1_reverse.shape
        ((80, 10), (80, 20))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: _Input,  # type: ignore[override]
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[_Input, tuple[Tensor, Tensor]]:
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
    r"""Applies a multi-layer gated recurrent unit (GRU) RNN to an input sequence.

    For each step t, with the gates in PyTorch's order r, z, n::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Args:
        input_size (int): the number of features of each input step.
        hidden_size (int): H, the number of features of the hidden state.
        num_layers (int): stacked recurrent layers, layer l + 1 reading the output
            of layer l. Default: 1
        bias (bool): learn the biases b_ih and b_hh. Default: ``True``
        batch_first (bool): input and output are (N, L, *) instead of (L, N, *)
            (the hidden states keep (D * num_layers, N, H)). Default: ``False``
        dropout (float): dropout on the output of every layer but the last, in
            training. Default: 0.0
        bidirectional (bool): also run each layer backwards in time, and
            concatenate the two directions' outputs. Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - input: :math:`(L, N, H_{in})`, :math:`(N, L, H_{in})` with ``batch_first``,
          :math:`(L, H_{in})` unbatched, or a PackedSequence (then the output is one
          too).
        - h_0: ``(D * num_layers, N, H)`` or ``(D * num_layers, H)``;
          zeros when not given. D is 2 if bidirectional, else 1.
        - output: :math:`(L, N, D * H)` (batch first with ``batch_first``), the
          last layer's hidden state at every step, both directions concatenated.
        - h_n: ``(D * num_layers, N, H)``, the final hidden state of each
          layer and direction.

    Attributes:
        weight_ih_l[k] (Parameter): (3H, I) for layer 0, (3H, D * H) above;
            the three gates' weights stacked (W_ir|W_iz|W_in).
        weight_hh_l[k] (Parameter): (3H, H).
        bias_ih_l[k], bias_hh_l[k] (Parameter): (3H,).
        The ``_reverse`` suffix marks the backward direction. Every weight and bias
        starts from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Example::

        >>> gru = nn.GRU(10, 20)
        >>> output, h_n = gru(fastnn.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        ((5, 3, 20), (1, 3, 20))
        >>> from fastnn.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
        >>> packed = pack_padded_sequence(fastnn.randn(4, 2, 10), [4, 2])
        >>> out, lengths = pad_packed_sequence(gru(packed)[0])
        >>> out.shape, lengths
        ((4, 2, 20), tensor([4, 2]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


