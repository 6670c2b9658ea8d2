"""InstanceNorm1d/2d/3d and GroupNorm: per-sample normalisation layers (style transfer,
small-batch convnets), with torch's defaults (InstanceNorm: affine=False, no running stats)."""

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _place
from .batchnorm import _NormBase


class _InstanceNorm(_NormBase):
    """BatchNorm's parameters and buffers (as in torch), per-sample statistics."""
    _ndim = 2  # spatial dims expected after (N, C)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None):
        super().__init__(int(num_features), eps, momentum, affine, track_running_stats,
                         device, dtype)

    def forward(self, input):
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
    _ndim = 1


class InstanceNorm2d(_InstanceNorm):
    _ndim = 2


class InstanceNorm3d(_InstanceNorm):
    _ndim = 3


class GroupNorm(Module):
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
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

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm"]
