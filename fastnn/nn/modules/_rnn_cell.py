"""The single-step recurrent cells RNNCell, LSTMCell and GRUCell (torch.nn's API).

A cell runs one time step through the same backend kernel as the layers in
rnn.py (fastnn.ops.rnn.Recurrent with a length-1 sequence), so a cell and a
one-step layer with the same weights give the same numbers.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..._tensor import Tensor
from ...ops.rnn import Recurrent, array_module
from .. import init
from .module import Module
from ._utils import _empty_parameter, _place

if TYPE_CHECKING:
    import numpy as np

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _zeros_state(like: Tensor, shape: tuple[int, ...]) -> Tensor:
    xp = array_module(like._data)
    return Tensor._wrap(xp.zeros(shape, dtype=like._data.dtype))


def _check_dtype(name: str, t: Tensor, dtype: np.dtype[Any]) -> None:
    if t.dtype != dtype:
        raise RuntimeError(f"{name} must have the type {dtype} (the layer's parameters), "
                           f"got type {t.dtype}")


class RNNCellBase(Module):
    """The parameters and input checks shared by RNNCell, LSTMCell and GRUCell.

    Parameters: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih and bias_hh
    (G*H,), G = ``num_chunks`` gates.

    Args:
        input_size (int): I, the number of input features.
        hidden_size (int): H, the number of hidden features.
        bias (bool): learn bias_ih and bias_hh.
        num_chunks (int): G, the number of gates (1, 4 or 3).
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Example::

        >>> cell = nn.modules.rnn.RNNCellBase(3, 5, True, 4)
        >>> cell.weight_ih.shape, cell.weight_hh.shape, cell.bias_ih.shape
        ((20, 3), (20, 5), (20,))
    """

    _kind: str | None = None

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
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

    def reset_parameters(self) -> None:
        """Draw every weight and bias again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _prepare(self, input: Tensor,
                 states: list[Tensor | None]) -> tuple[Tensor, list[Tensor], bool]:
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

    def _step(self, x: Tensor, h: Tensor, c: Tensor | None = None,
              nonlinearity: str = "tanh") -> Any:
        return Recurrent.apply(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                               self.bias_hh, kind=self._kind, nonlinearity=nonlinearity)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)``.

    ``forward(input, hx=None)`` returns ``h'``.

    Args:
        input_size (int): I, the number of input features.
        hidden_size (int): H, the number of hidden features.
        bias (bool): learn bias_ih and bias_hh. Default: ``True``
        nonlinearity (str): ``'tanh'`` or ``'relu'``. Default: ``'tanh'``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - input: :math:`(N, I)` or :math:`(I)` (unbatched)
        - hidden: :math:`(N, H)` or :math:`(H)`; zeros when not given.
        - output: :math:`(N, H)` or :math:`(H)`, the next hidden state.

    Attributes:
        weight_ih (Parameter): (H, I).
        weight_hh (Parameter): (H, H).
        bias_ih, bias_hh (Parameter): (H,); None without ``bias``.
        Each starts from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> x, h = fastnn.randn(6, 3, 10), None
        >>> for t in range(6):
        ...     h = cell(x[t], h)
        >>> h.shape
        (3, 20)
    """

    _kind = "rnn"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, [hx])
        h1 = self._step(x, h, nonlinearity=self.nonlinearity)[1]
        return h1 if batched else h1.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM (the equations of :class:`LSTM`, gates i, f, g, o).

    ``forward(input, (h, c)=None)`` returns ``(h', c')``.

    Args:
        input_size (int): I, the number of input features.
        hidden_size (int): H, the number of hidden features.
        bias (bool): learn bias_ih and bias_hh. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - input: :math:`(N, I)` or :math:`(I)` (unbatched)
        - hidden: :math:`(N, H)` or :math:`(H)`; zeros when not given. The same for the cell state c.
        - output: ``(h', c')``, each :math:`(N, H)` or :math:`(H)`.

    Attributes:
        weight_ih (Parameter): (4H, I), the four gates stacked.
        weight_hh (Parameter): (4H, H).
        bias_ih, bias_hh (Parameter): (4H,); None without ``bias``.
        Each starts from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(fastnn.randn(3, 10))
        >>> h, c = cell(fastnn.randn(3, 10), (h, c))
        >>> h.shape, c.shape
        ((3, 20), (3, 20))
    """

    _kind = "lstm"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor,  # type: ignore[override]  # hx is a pair here
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTMCell: hx must be a tuple (h, c) of two Tensors")
        states: list[Tensor | None] = [None, None] if hx is None else list(hx)
        x, (h, c), batched = self._prepare(input, states)
        _, h1, c1 = self._step(x, h, c)
        if not batched:
            return h1.squeeze(0), c1.squeeze(0)
        return h1, c1


class GRUCell(RNNCellBase):
    """One step of a GRU (the equations of :class:`GRU`, gates r, z, n).

    ``forward(input, hx=None)`` returns ``h'``.

    Args:
        input_size (int): I, the number of input features.
        hidden_size (int): H, the number of hidden features.
        bias (bool): learn bias_ih and bias_hh. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - input: :math:`(N, I)` or :math:`(I)` (unbatched)
        - hidden: :math:`(N, H)` or :math:`(H)`; zeros when not given.
        - output: :math:`(N, H)` or :math:`(H)`, the next hidden state.

    Attributes:
        weight_ih (Parameter): (3H, I), the three gates stacked.
        weight_hh (Parameter): (3H, H).
        bias_ih, bias_hh (Parameter): (3H,); None without ``bias``.
        Each starts from U(-sqrt(k), sqrt(k)), k = 1 / hidden_size.

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> cell(fastnn.randn(3, 10)).shape
        (3, 20)
        >>> cell(fastnn.randn(10)).shape  # unbatched
        (20,)
    """

    _kind = "gru"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, [hx])
        h1 = self._step(x, h)[1]
        return h1 if batched else h1.squeeze(0)


# Named by PyTorch's path (torch.nn.modules.rnn), which rnn.py re-exports: saved
# models and pickles record that stable name rather than this private file's.
for _cls in (RNNCellBase, RNNCell, LSTMCell, GRUCell):
    _cls.__module__ = "fastnn.nn.modules.rnn"
del _cls
