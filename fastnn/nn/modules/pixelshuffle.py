"""PixelShuffle and PixelUnshuffle (sub-pixel convolution's rearrangement), as
torch.nn.modules.pixelshuffle."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor


class PixelShuffle(Module):
    """Rearranges ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)``, ``r = upscale_factor``.

    The sub-pixel convolution's upsampling step (Shi et al., 2016): each group
    of ``r^2`` channels becomes an ``r x r`` block of pixels.

    Args:
        upscale_factor (int): the factor ``r`` to increase the resolution by.

    Shape:
        - Input: :math:`(*, C_{in}, H_{in}, W_{in})`, with ``C_in = C_out * r^2``
        - Output: :math:`(*, C_{out}, H_{in} \\times r, W_{in} \\times r)`

    Example::

        >>> nn.PixelShuffle(3)(fastnn.ones(1, 9, 4, 4)).shape
        (1, 1, 12, 12)
        >>> nn.PixelShuffle(2)(fastnn.arange(4.0).reshape(1, 4, 1, 1))
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearranges ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)``: PixelShuffle's inverse.

    Args:
        downscale_factor (int): the factor ``r`` to decrease the resolution by.

    Shape:
        - Input: :math:`(*, C_{in}, H_{in}, W_{in})`, H_in and W_in divisible by ``r``
        - Output: :math:`(*, C_{in} \\times r^2, H_{in} / r, W_{in} / r)`

    Example::

        >>> nn.PixelUnshuffle(3)(fastnn.ones(1, 1, 12, 12)).shape
        (1, 9, 4, 4)
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


__all__ = ["PixelShuffle", "PixelUnshuffle"]
