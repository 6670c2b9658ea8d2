"""MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: thin Modules over F's pooling functions."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor
    from ._types import _size_2_opt_t, _size_any_t


class _MaxPoolNd(Module):
    def __init__(self, kernel_size: _size_any_t, stride: _size_any_t | None = None,
                 padding: _size_any_t = 0, dilation: _size_any_t = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def _pool(self, fn: Callable[..., Any], input: Tensor) -> Any:
        kwargs = {}
        if self.ceil_mode:
            kwargs["ceil_mode"] = True
        if self.return_indices:
            kwargs["return_indices"] = True
        return fn(input, self.kernel_size, self.stride, self.padding, self.dilation, **kwargs)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Applies a 1-D max pooling: the maximum over each window of ``kernel_size`` steps.

    Args:
        kernel_size (int): the window length.
        stride (int, optional): the window step. Default: ``kernel_size``
        padding (int): implicit ``-inf`` padding on both sides, at most half the
            kernel. Default: 0
        dilation (int): the spacing between window elements. Default: 1
        return_indices (bool): also return the flat index of each maximum (for
            unpooling). Default: ``False``
        ceil_mode (bool): round the output length up instead of down (a last,
            partial window that starts inside the input). Default: ``False``

    Shape:
        - Input: :math:`(N, C, L_{in})` or :math:`(C, L_{in})`
        - Output: :math:`(N, C, L_{out})` or :math:`(C, L_{out})`, where
          ``L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``
          (ceil with ``ceil_mode``)

    Example::

        >>> nn.MaxPool1d(2)(fastnn.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]))
        tensor([[[3., 5.]]])
    """

    def forward(self, input: Tensor) -> Any:
        return self._pool(F.max_pool1d, input)


class MaxPool2d(_MaxPoolNd):
    """Applies a 2-D max pooling: the maximum over each (kH, kW) window of each channel.

    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are one int (both
    dimensions) or a (height, width) pair.

    Args:
        kernel_size (int or tuple): the window size.
        stride (int or tuple, optional): the window step. Default: ``kernel_size``
        padding (int or tuple): implicit ``-inf`` padding on both sides, at most
            half the kernel. Default: 0
        dilation (int or tuple): the spacing between window elements. Default: 1
        return_indices (bool): also return the index of each maximum within its
            (H_in * W_in) plane. Default: ``False``
        ceil_mode (bool): round the output size up instead of down. Default: ``False``

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)``
          and ``W_out`` likewise with index 1 (ceil with ``ceil_mode``).

    Example::

        >>> x = fastnn.arange(16.0).reshape(1, 1, 4, 4)
        >>> nn.MaxPool2d(2)(x)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
        >>> nn.MaxPool2d(3, stride=2)(fastnn.randn(20, 16, 50, 32)).shape
        (20, 16, 24, 15)
    """

    def forward(self, input: Tensor) -> Any:
        return self._pool(F.max_pool2d, input)


class AvgPool2d(Module):
    """Applies a 2-D average pooling: the mean over each (kH, kW) window of each channel.

    Args:
        kernel_size (int or tuple): the window size.
        stride (int or tuple, optional): the window step. Default: ``kernel_size``
        padding (int or tuple): implicit zero padding on both sides, at most half
            the kernel. Default: 0
        ceil_mode (bool): round the output size up instead of down. Default: ``False``
        count_include_pad (bool): count the padding zeros in the divisor.
            Default: ``True``
        divisor_override (int, optional): divide every window sum by this instead.
            Default: ``None``

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = floor((H_in + 2 * padding[0] - kernel_size[0]) / stride[0] + 1)``
          and ``W_out`` likewise with index 1 (ceil with ``ceil_mode``).

    Example::

        >>> x = fastnn.arange(16.0).reshape(1, 1, 4, 4)
        >>> nn.AvgPool2d(2)(x)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """

    def __init__(self, kernel_size: _size_any_t, stride: _size_any_t | None = None,
                 padding: _size_any_t = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        kwargs: dict[str, Any] = {}
        if self.ceil_mode:
            kwargs["ceil_mode"] = True
        if not self.count_include_pad:
            kwargs["count_include_pad"] = False
        if self.divisor_override is not None:
            kwargs["divisor_override"] = self.divisor_override
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, **kwargs)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Applies a 2-D average pooling whose windows are chosen to give ``output_size``.

    Output cell ``i`` of a dimension of input size ``L`` and output size ``S``
    averages input positions ``floor(i * L / S)`` to ``ceil((i + 1) * L / S)``
    (exclusive), so windows may overlap or differ in size.

    Args:
        output_size (int or tuple): the target (H_out, W_out); one int for a
            square; None in the tuple keeps that input dimension.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, S_0, S_1)` or :math:`(C, S_0, S_1)`, ``S = output_size``.

    Example::

        >>> x = fastnn.arange(16.0).reshape(1, 1, 4, 4)
        >>> nn.AdaptiveAvgPool2d((1, 2))(x)
        tensor([[[[6.5000, 8.5000]]]])
        >>> nn.AdaptiveAvgPool2d((5, None))(fastnn.randn(1, 64, 10, 9)).shape
        (1, 64, 5, 9)
    """

    def __init__(self, output_size: _size_2_opt_t) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)  # type: ignore[arg-type]  # F checks it

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]
