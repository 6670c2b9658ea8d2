"""BatchNorm1d / BatchNorm2d with PyTorch's buffers and running-statistics rules.

Buffers: running_mean (zeros), running_var (ones), num_batches_tracked (int64).
In training mode with track_running_stats, each call bumps num_batches_tracked
and F.batch_norm updates the running statistics in place with factor
``momentum`` (or 1/num_batches_tracked, a cumulative average, when momentum is
None). In eval mode the running statistics normalise the input.
"""
import numpy as np

from ..._tensor import Tensor, get_default_dtype
from .. import init
from .module import Module
from ... import _sizes
from ._utils import F, _empty_parameter, _factory_dtype, _place


class _NormBase(Module):
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        what = f"{type(self).__name__}: num_features={num_features}"
        if track_running_stats:
            dt = _factory_dtype(dtype) if dtype is not None else get_default_dtype()
            _sizes.check_alloc(what, (num_features,), dt.itemsize, describe="a running statistic")
        if affine:
            self.weight = _empty_parameter((num_features,), dtype, what=what)
            if bias:
                self.bias = _empty_parameter((num_features,), dtype, what=what)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            dt = _factory_dtype(dtype) if dtype is not None else get_default_dtype()
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()
        _place(self, device)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # checkpoints from before num_batches_tracked existed load with it left as is
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and self.num_batches_tracked is not None \
                and key not in state_dict:
            state_dict = dict(state_dict)
            state_dict[key] = self.num_batches_tracked._data.copy()
        super()._load_from_state_dict(state_dict, prefix, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked._data)
        # batch statistics when training, or when there are no running stats to use
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(input,
                            self.running_mean if use_running else None,
                            self.running_var if use_running else None,
                            self.weight, self.bias, bn_training, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input, per channel C."""

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input, per channel C."""

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


__all__ = ["BatchNorm1d", "BatchNorm2d"]
