"""InstanceNorm1d/2d/3d and GroupNorm: per-sample normalisation layers (style transfer,
small-batch convnets), with torch's defaults (InstanceNorm: affine=False, no running stats)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _place
from .batchnorm import _NormBase

if TYPE_CHECKING:
    from ..._tensor import Tensor


class _InstanceNorm(_NormBase):
    """BatchNorm's parameters and buffers (as in torch), per-sample statistics."""
    _ndim = 2  # spatial dims expected after (N, C)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(int(num_features), eps, momentum, affine, track_running_stats,
                         device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        want = self._ndim + 2
        if input.dim() not in (want - 1, want):
            raise ValueError(f"{type(self).__name__}: expected {want - 1}D (unbatched) or "
                             f"{want}D input, got {input.dim()}D")
        unbatched = input.dim() == want - 1
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features and self.affine:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels, "
                             f"got input of shape {tuple(input.shape)}")
        use_input_stats = self.training or not self.track_running_stats
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                              use_input_stats, self.momentum if self.momentum is not None else 0.1,
                              self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Applies instance normalisation over a 3-D input: each sample and channel separately.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken over the length of each (sample, channel) plane.

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance for numerical stability. Default: 1e-5
        momentum (float or None): the weight of the new statistics in the running
            ones, with ``track_running_stats``. Default: 0.1
        affine (bool): learn a per-channel weight (1) and bias (0). Default: ``False``
        track_running_stats (bool): keep running mean and variance, and normalise
            with them in eval mode. Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, C, L)` or :math:`(C, L)`
        - Output: the input's shape.

    Example::

        >>> nn.InstanceNorm1d(2)(fastnn.tensor([[[1.0, 3.0], [5.0, 7.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [-1.0000,  1.0000]]])
    """

    _ndim = 1


class InstanceNorm2d(_InstanceNorm):
    """Applies instance normalisation over a 4-D input: each sample and channel separately.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken over the height and width of each (sample, channel) plane.

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance for numerical stability. Default: 1e-5
        momentum (float or None): the weight of the new statistics in the running
            ones, with ``track_running_stats``. Default: 0.1
        affine (bool): learn a per-channel weight (1) and bias (0). Default: ``False``
        track_running_stats (bool): keep running mean and variance, and normalise
            with them in eval mode. Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`
        - Output: the input's shape.

    Example::

        >>> m = nn.InstanceNorm2d(100, affine=True)
        >>> m(fastnn.randn(20, 100, 35, 45)).shape
        (20, 100, 35, 45)
    """

    _ndim = 2


class InstanceNorm3d(_InstanceNorm):
    """Applies instance normalisation over a 5-D input: each sample and channel separately.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken over the depth, height and width of each (sample, channel) plane.

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance for numerical stability. Default: 1e-5
        momentum (float or None): the weight of the new statistics in the running
            ones, with ``track_running_stats``. Default: 0.1
        affine (bool): learn a per-channel weight (1) and bias (0). Default: ``False``
        track_running_stats (bool): keep running mean and variance, and normalise
            with them in eval mode. Default: ``False``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`
        - Output: the input's shape.

    Example::

        >>> nn.InstanceNorm3d(4)(fastnn.randn(2, 4, 3, 5, 5)).shape
        (2, 4, 3, 5, 5)
    """

    _ndim = 3


class GroupNorm(Module):
    """Applies group normalisation: channels split into groups, each normalised per sample.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken over the channels of a group and all spatial positions, for
    each sample; the same in training and eval mode.

    Args:
        num_groups (int): the number of groups; divides ``num_channels``.
        num_channels (int): C, the number of channels.
        eps (float): added to the variance for numerical stability. Default: 1e-5
        affine (bool): learn a per-channel weight (1) and bias (0). Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    Shape:
        - Input: :math:`(N, C, *)`
        - Output: :math:`(N, C, *)`, the input's shape.

    Attributes:
        weight (Parameter): shape ``(C,)`` (None without ``affine``).
        bias (Parameter): shape ``(C,)`` (None without ``affine``).

    Example::

        >>> nn.GroupNorm(1, 2)(fastnn.tensor([[[1.0, 3.0], [5.0, 7.0]]]))
        tensor([[[-1.3416, -0.4472],
                 [ 0.4472,  1.3416]]], grad_fn=<AddBackward0>)
        >>> nn.GroupNorm(3, 6)(fastnn.randn(20, 6, 10, 10)).shape
        (20, 6, 10, 10)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        what = f"GroupNorm: num_channels={num_channels}"
        if affine:
            self.weight = _empty_parameter((num_channels,), dtype, what=what)
            self.bias = _empty_parameter((num_channels,), dtype, what=what)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self) -> None:
        """Set weight to 1 and bias to 0."""
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm"]
