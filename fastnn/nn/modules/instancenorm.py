"""InstanceNorm1d/2d/3d and GroupNorm: per-sample normalisation layers (style transfer,
small-batch convnets), with torch's defaults (InstanceNorm: affine=False, no running stats)."""
import numpy as np

from .. import init
from ...tensor import Tensor
from .module import Module
from ._utils import F, _empty_parameter, _factory_dtype, _place


class _InstanceNorm(Module):
    _ndim = 2  # spatial dims expected after (N, C)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        what = f"{type(self).__name__}: num_features={num_features}"
        if affine:
            self.weight = _empty_parameter((self.num_features,), dtype, what=what)
            self.bias = _empty_parameter((self.num_features,), dtype, what=what)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            dt = _factory_dtype(dtype)
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(self.num_features, dt)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(self.num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

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

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


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
