"""F.conv_transpose1d / F.conv_transpose2d: PyTorch's arguments and defaults.

weight is (C_in, C_out // groups, *kernel); output size per spatial dim is
(L - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1.
"""
from ...ops.conv_transpose import ConvTranspose

__all__ = ["conv_transpose1d", "conv_transpose2d"]

_ConvTranspose = ConvTranspose.apply


def _conv_transpose(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose{nd}d: padding must be an int or a tuple of ints, "
                         f"got {padding!r}")
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    out = _ConvTranspose(input, weight, bias, stride, padding, output_padding, groups, dilation,
                         nd=nd)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
