"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d: F.interpolate as a layer,
as torch.nn.modules.upsampling."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor
    from ._types import _ratio_any_t, _size_any_t


class Upsample(Module):
    """Resizes a batch of 1-D, 2-D or 3-D signals to ``size`` or by ``scale_factor``.

    The input is ``(N, C, *spatial)``; the spatial dimensions are resampled with
    ``mode`` (``F.interpolate``). Give either ``size`` or ``scale_factor``.

    Args:
        size (int or tuple, optional): the output spatial size.
        scale_factor (float or tuple, optional): the multiplier of each spatial size.
        mode (str): ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input),
            ``'bilinear'``, ``'bicubic'`` (4-D), ``'trilinear'`` (5-D) or ``'area'``.
            Default: ``'nearest'``
        align_corners (bool, optional): for the interpolating modes, align the
            centres of the corner pixels of input and output (True) rather than
            their outer edges. Default: ``None`` (False)
        recompute_scale_factor (bool, optional): compute the interpolation from the
            output size rather than from ``scale_factor``. Default: ``None``

    Shape:
        - Input: :math:`(N, C, W_{in})`, :math:`(N, C, H_{in}, W_{in})` or
          :math:`(N, C, D_{in}, H_{in}, W_{in})`
        - Output: the same rank, each spatial size ``floor(in * scale_factor)``
          or ``size``.

    Example::

        >>> x = fastnn.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> nn.Upsample(scale_factor=2, mode="nearest")(x)
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.],
                  [3., 3., 4., 4.],
                  [3., 3., 4., 4.]]]])
        >>> nn.Upsample(scale_factor=2, mode="bilinear")(x)
        tensor([[[[1.0000, 1.2500, 1.7500, 2.0000],
                  [1.5000, 1.7500, 2.2500, 2.5000],
                  [2.5000, 2.7500, 3.2500, 3.5000],
                  [3.0000, 3.2500, 3.7500, 4.0000]]]])
        >>> nn.Upsample(size=(3, 5))(x).shape
        (1, 1, 3, 5)
    """

    def __init__(self, size: _size_any_t | None = None,
                 scale_factor: _ratio_any_t | None = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = float(scale_factor) if isinstance(scale_factor, (int, float)) \
            and not isinstance(scale_factor, bool) else \
            (tuple(float(f) for f in scale_factor)  # type: ignore[union-attr]
             if scale_factor is not None else None)
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of a batch of images: ``Upsample(mode='nearest')``.

    Args:
        size (int or tuple, optional): the output (H, W).
        scale_factor (float or tuple, optional): the multiplier of H and W.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})`, ``floor(in * scale_factor)`` or ``size``.

    Example::

        >>> nn.UpsamplingNearest2d(scale_factor=2)(fastnn.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.]]]])
    """

    def __init__(self, size: _size_any_t | None = None,
                 scale_factor: _ratio_any_t | None = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of a batch of images with ``align_corners=True``.

    The same as ``Upsample(mode='bilinear', align_corners=True)``.

    Args:
        size (int or tuple, optional): the output (H, W).
        scale_factor (float or tuple, optional): the multiplier of H and W.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})`, ``floor(in * scale_factor)`` or ``size``.

    Example::

        >>> nn.UpsamplingBilinear2d(scale_factor=2)(fastnn.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor([[[[1.0000, 1.3333, 1.6667, 2.0000],
                  [1.6667, 2.0000, 2.3333, 2.6667],
                  [2.3333, 2.6667, 3.0000, 3.3333],
                  [3.0000, 3.3333, 3.6667, 4.0000]]]])
    """

    def __init__(self, size: _size_any_t | None = None,
                 scale_factor: _ratio_any_t | None = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
