"""Conv1d and Conv2d: weight (out, in/groups, *kernel), PyTorch's padding options;
ConvTranspose1d and ConvTranspose2d: weight (in, out/groups, *kernel).

``padding='same'`` is turned into explicit padding here (PyTorch puts the odd
extra pixel on the right/bottom), so F.conv* only ever sees integer padding;
non-zero ``padding_mode`` pads with F.pad first.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _pair, _place, _single

if TYPE_CHECKING:
    from ..._tensor import Tensor
    from ._types import _size_1_t, _size_2_t

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _n = 0  # spatial dims

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...],
                 stride: tuple[int, ...], padding: str | tuple[int, ...],
                 dilation: tuple[int, ...], groups: int, bias: bool, padding_mode: str,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        if any(k <= 0 for k in kernel_size) or any(s <= 0 for s in stride) \
                or any(d <= 0 for d in dilation):
            raise ValueError("kernel_size, stride and dilation must be positive, got "
                             f"{kernel_size}, {stride}, {dilation}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = False
        self.output_padding = (0,) * len(kernel_size)
        self.groups = groups
        self.padding_mode = padding_mode
        # Explicit (left, right) padding per spatial dim, and F.pad's reversed layout.
        if isinstance(padding, str):
            pairs: list[tuple[int, int]] = []
            for d, k in zip(dilation, kernel_size):
                total = d * (k - 1) if padding == "same" else 0
                pairs.append((total // 2, total - total // 2))
        else:
            pairs = [(p, p) for p in padding]
        self._pad_pairs = tuple(pairs)
        self._reversed_padding_repeated_twice = tuple(
            v for lr in reversed(pairs) for v in lr)
        what = (f"{type(self).__name__}: in_channels={in_channels}, out_channels={out_channels}, "
                f"kernel_size={kernel_size}")
        self.weight = _empty_parameter((out_channels, in_channels // groups) + tuple(kernel_size),
                                       dtype, what=what)
        if bias:
            self.bias = _empty_parameter((out_channels,), dtype, what=what)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self) -> None:
        """Draw weight and bias again from their initial distributions."""
        # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def _prepare(self, input: Tensor) -> tuple[Tensor, tuple[int, ...]]:
        """(possibly padded input, symmetric padding to hand to F.conv*)."""
        pairs = self._pad_pairs
        if self.padding_mode != "zeros":
            mode = self.padding_mode
            return F.pad(input, self._reversed_padding_repeated_twice, mode=mode), \
                (0,) * len(pairs)
        if all(lo == hi for lo, hi in pairs):
            return input, tuple(lo for lo, _ in pairs)
        # asymmetric 'same': pad the odd extra pixel explicitly, the rest in the conv
        sym = tuple(lo for lo, _ in pairs)
        extra = tuple(v for lo, hi in reversed(pairs) for v in (0, hi - lo))
        return F.pad(input, extra), sym

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "padding_mode" not in self.__dict__:
            self.padding_mode = "zeros"


class Conv1d(_ConvNd):
    """Applies a 1-D convolution (cross-correlation) over a batch of signals.

    ``out[n, j] = bias[j] + sum_k weight[j, k] (*) input[n, k]``, the sum over the
    input channels of the group of output channel ``j``, (*) being the valid 1-D
    cross-correlation after padding.

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels of the output.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): stride of the window. Default: 1
        padding (int, tuple or str): implicit padding on both sides of each
            spatial dimension, or ``'valid'`` (none) or ``'same'`` (output as
            large as the input; stride 1 only; an odd total puts the extra pixel
            at the end). Default: 0
        dilation (int or tuple): spacing between kernel elements. Default: 1
        groups (int): blocked connections: input and output channels are split
            into ``groups`` groups, each output group seeing one input group
            (``groups == in_channels``: a depthwise convolution). Default: 1
        bias (bool): learn a bias per output channel. Default: ``True``
        padding_mode (str): ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``: what the padding holds. Default: ``'zeros'``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, C_{in}, L_{in})` or :math:`(C_{in}, L_{in})`
        - Output: :math:`(N, C_{out}, L_{out})` or :math:`(C_{out}, L_{out})`, where
          ``L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``

    Attributes:
        weight (Parameter): shape ``(out_channels, in_channels / groups, kernel_size)``,
            from U(-sqrt(k), sqrt(k)) with k = groups / (in_channels * kernel_size).
        bias (Parameter): shape ``(out_channels,)``, from the same distribution;
            None when ``bias=False``.

    Example::

        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(20, 16, 50)).shape
        (20, 33, 24)
        >>> nn.Conv1d(4, 4, 5, padding="same", groups=4)(fastnn.randn(1, 4, 10)).shape
        (1, 4, 10)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size_1_t,
                 stride: _size_1_t = 1, padding: str | _size_1_t = 0, dilation: _size_1_t = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride),
                         padding if isinstance(padding, str) else _single(padding),
                         _single(dilation), groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        x, pad = self._prepare(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, pad, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """Applies a 2-D convolution (cross-correlation) over a batch of images.

    ``out[n, j] = bias[j] + sum_k weight[j, k] (*) input[n, k]``, the sum over the
    input channels of the group of output channel ``j``, (*) being the valid 2-D
    cross-correlation after padding. ``kernel_size``, ``stride``, ``padding``
    and ``dilation`` are one int (both dimensions) or a (height, width) pair.

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels of the output.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): stride of the window. Default: 1
        padding (int, tuple or str): implicit padding on both sides of each
            spatial dimension, or ``'valid'`` (none) or ``'same'`` (output as
            large as the input; stride 1 only; an odd total puts the extra pixel
            at the end). Default: 0
        dilation (int or tuple): spacing between kernel elements. Default: 1
        groups (int): blocked connections: input and output channels are split
            into ``groups`` groups, each output group seeing one input group
            (``groups == in_channels``: a depthwise convolution). Default: 1
        bias (bool): learn a bias per output channel. Default: ``True``
        padding_mode (str): ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``: what the padding holds. Default: ``'zeros'``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, C_{in}, H_{in}, W_{in})` or :math:`(C_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})` or :math:`(C_{out}, H_{out}, W_{out})`, where
          ``H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)``
          and ``W_out`` likewise with index 1.

    Attributes:
        weight (Parameter): shape ``(out_channels, in_channels / groups, kH, kW)``,
            from U(-sqrt(k), sqrt(k)) with k = groups / (in_channels * kH * kW).
        bias (Parameter): shape ``(out_channels,)``, from the same distribution;
            None when ``bias=False``.

    Example::

        >>> m = nn.Conv2d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(20, 16, 50, 100)).shape
        (20, 33, 24, 49)
        >>> m = nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1))
        >>> m(fastnn.randn(20, 16, 50, 100)).shape
        (20, 33, 26, 100)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size_2_t,
                 stride: _size_2_t = 1, padding: str | _size_2_t = 0, dilation: _size_2_t = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                         padding if isinstance(padding, str) else _pair(padding),
                         _pair(dilation), groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        x, pad = self._prepare(input)
        p = self._parameters  # skips Module.__getattr__ (see Linear.forward)
        if "weight" in p and "bias" in p:
            w, b = p["weight"], p["bias"]
        else:
            w, b = self.weight, self.bias
        return F.conv2d(x, w, b, self.stride, pad, self.dilation, self.groups)  # type: ignore[arg-type]  # weight is set


class _ConvTransposeNd(_ConvNd):
    """Weight (in, out/groups, *kernel), as PyTorch; forward(input, output_size=None)."""

    padding: tuple[int, ...]  # transposed convolutions take no 'same'/'valid' strings

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...],
                 output_padding: tuple[int, ...], groups: int, bias: bool,
                 dilation: tuple[int, ...], padding_mode: str, device: Any = None,
                 dtype: Any = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of "
                             f"ints, got {padding!r}")
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        Module.__init__(self)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.output_padding = dilation, output_padding
        self.transposed = True
        self.groups, self.padding_mode = groups, padding_mode
        what = (f"{type(self).__name__}: in_channels={in_channels}, "
                f"out_channels={out_channels}, kernel_size={kernel_size}")
        self.weight = _empty_parameter((in_channels, out_channels // groups) + tuple(kernel_size),
                                       dtype, what=what)
        if bias:
            self.bias = _empty_parameter((out_channels,), dtype, what=what)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        _place(self, device)

    def _output_padding(self, input: Tensor,
                        output_size: Sequence[int] | None) -> tuple[int, ...]:
        """output_padding that gives output_size (PyTorch's rule: within one stride)."""
        if output_size is None:
            return self.output_padding
        nd = len(self.kernel_size)
        lead = 2 if input.ndim == nd + 2 else 1
        output_size = tuple(int(v) for v in output_size)
        if len(output_size) == lead + nd:
            output_size = output_size[lead:]
        if len(output_size) != nd:
            raise ValueError(f"output_size: expected {nd} or {lead + nd} elements (got "
                             f"{len(output_size)})")
        res = []
        for d in range(nd):
            lo = ((input.shape[d + lead] - 1) * self.stride[d] - 2 * self.padding[d]
                  + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            hi = lo + self.stride[d] - 1
            if not lo <= output_size[d] <= hi:
                raise ValueError(f"output_size: requested an output size of {output_size}, but "
                                 f"valid sizes range from {lo} to {hi} (for an input of "
                                 f"{tuple(input.shape[lead:])})")
            res.append(output_size[d] - lo)
        return tuple(res)


class ConvTranspose1d(_ConvTransposeNd):
    """Applies a 1-D transposed convolution: the gradient of Conv1d with respect to its input.

    Sometimes (wrongly) called a deconvolution; it maps a length ``L_in``
    signal to the length a Conv1d with the same arguments would have turned
    into ``L_in``.

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels of the output.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): stride of the convolution this inverts. Default: 1
        padding (int or tuple): ``dilation * (kernel_size - 1) - padding`` zeros are
            implicitly added on both sides of the input (so the output shrinks by
            ``2 * padding``). Default: 0
        output_padding (int or tuple): extra size added to one side of the output,
            to pick among the sizes a strided convolution maps to the same input
            size; less than ``stride`` or ``dilation``. Default: 0
        groups (int): blocked connections from input to output channels. Default: 1
        bias (bool): learn a bias per output channel. Default: ``True``
        dilation (int or tuple): spacing between kernel elements. Default: 1
        padding_mode (str): only ``'zeros'`` is supported. Default: ``'zeros'``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    ``forward(input, output_size=None)``: ``output_size`` (the spatial sizes, or
    the full shape) chooses ``output_padding`` for that call instead.

    Shape:
        - Input: :math:`(N, C_{in}, L_{in})` or :math:`(C_{in}, L_{in})`
        - Output: :math:`(N, C_{out}, L_{out})` or :math:`(C_{out}, L_{out})`, where
          ``L_out = (L_in - 1) * stride - 2 * padding
          + dilation * (kernel_size - 1) + output_padding + 1``

    Attributes:
        weight (Parameter): shape ``(in_channels, out_channels / groups, kernel_size)``,
            from U(-sqrt(k), sqrt(k)) with k = groups / (out_channels * kernel_size).
        bias (Parameter): shape ``(out_channels,)``, from the same distribution;
            None when ``bias=False``.

    Example::

        >>> m = nn.ConvTranspose1d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(20, 16, 50)).shape
        (20, 33, 101)
        >>> m(fastnn.randn(20, 16, 50), output_size=[102]).shape
        (20, 33, 102)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size_1_t,
                 stride: _size_1_t = 1, padding: _size_1_t = 0, output_padding: _size_1_t = 0,
                 groups: int = 1, bias: bool = True, dilation: _size_1_t = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride),
                         _single(padding), _single(output_padding), groups, bias,
                         _single(dilation), padding_mode, device, dtype)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """Applies a 2-D transposed convolution: the gradient of Conv2d with respect to its input.

    Used to upsample feature maps (decoders, GAN generators). ``kernel_size``,
    ``stride``, ``padding``, ``output_padding`` and ``dilation`` are one int or a
    (height, width) pair.

    Args:
        in_channels (int): channels of the input.
        out_channels (int): channels of the output.
        kernel_size (int or tuple): size of the kernel.
        stride (int or tuple): stride of the convolution this inverts. Default: 1
        padding (int or tuple): ``dilation * (kernel_size - 1) - padding`` zeros are
            implicitly added on both sides of the input (so the output shrinks by
            ``2 * padding``). Default: 0
        output_padding (int or tuple): extra size added to one side of the output,
            to pick among the sizes a strided convolution maps to the same input
            size; less than ``stride`` or ``dilation``. Default: 0
        groups (int): blocked connections from input to output channels. Default: 1
        bias (bool): learn a bias per output channel. Default: ``True``
        dilation (int or tuple): spacing between kernel elements. Default: 1
        padding_mode (str): only ``'zeros'`` is supported. Default: ``'zeros'``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    ``forward(input, output_size=None)``: ``output_size`` (the spatial sizes, or
    the full shape) chooses ``output_padding`` for that call instead.

    Shape:
        - Input: :math:`(N, C_{in}, H_{in}, W_{in})` or :math:`(C_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})` or :math:`(C_{out}, H_{out}, W_{out})`, where
          ``H_out = (H_in - 1) * stride[0] - 2 * padding[0]
          + dilation[0] * (kernel_size[0] - 1) + output_padding[0] + 1``
          and ``W_out`` likewise with index 1.

    Attributes:
        weight (Parameter): shape ``(in_channels, out_channels / groups, kH, kW)``,
            from U(-sqrt(k), sqrt(k)) with k = groups / (out_channels * kH * kW).
        bias (Parameter): shape ``(out_channels,)``, from the same distribution;
            None when ``bias=False``.

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> x = fastnn.randn(1, 16, 6, 6)
        >>> up(x).shape
        (1, 8, 11, 11)
        >>> up(x, output_size=(12, 12)).shape
        (1, 8, 12, 12)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _size_2_t,
                 stride: _size_2_t = 1, padding: _size_2_t = 0, output_padding: _size_2_t = 0,
                 groups: int = 1, bias: bool = True, dilation: _size_2_t = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                         _pair(padding), _pair(output_padding), groups, bias, _pair(dilation),
                         padding_mode, device, dtype)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)


__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]
