"""Conv1d and Conv2d: weight (out, in/groups, *kernel), PyTorch's padding options;
ConvTranspose1d and ConvTranspose2d: weight (in, out/groups, *kernel).

``padding='same'`` is turned into explicit padding here (PyTorch puts the odd
extra pixel on the right/bottom), so F.conv* only ever sees integer padding;
non-zero ``padding_mode`` pads with F.pad first.
"""
import math

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _pair, _place, _single

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _n = 0  # spatial dims

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, device=None, dtype=None):
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
            pairs = []
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

    def reset_parameters(self):
        # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
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

    def _prepare(self, input):
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

    def __setstate__(self, state):
        super().__setstate__(state)
        if "padding_mode" not in self.__dict__:
            self.padding_mode = "zeros"


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride),
                         padding if isinstance(padding, str) else _single(padding),
                         _single(dilation), groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        x, pad = self._prepare(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, pad, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                         padding if isinstance(padding, str) else _pair(padding),
                         _pair(dilation), groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        x, pad = self._prepare(input)
        p = self._parameters  # skips Module.__getattr__ (see Linear.forward)
        if "weight" in p and "bias" in p:
            w, b = p["weight"], p["bias"]
        else:
            w, b = self.weight, self.bias
        return F.conv2d(x, w, b, self.stride, pad, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """Weight (in, out/groups, *kernel), as PyTorch; forward(input, output_size=None)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, output_padding,
                 groups, bias, dilation, padding_mode, device=None, dtype=None):
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

    def _output_padding(self, input, output_size):
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
    """1-D transposed convolution over (N, C_in, L) -> (N, C_out, L_out)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride),
                         _single(padding), _single(output_padding), groups, bias,
                         _single(dilation), padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, _pair(kernel_size), _pair(stride),
                         _pair(padding), _pair(output_padding), groups, bias, _pair(dilation),
                         padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)


__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]
