"""BatchNorm1d / BatchNorm2d with PyTorch's buffers and running-statistics rules.

Buffers: running_mean (zeros), running_var (ones), num_batches_tracked (int64).
In training mode with track_running_stats, each call bumps num_batches_tracked
and F.batch_norm updates the running statistics in place with factor
``momentum`` (or 1/num_batches_tracked, a cumulative average, when momentum is
None). In eval mode the running statistics normalise the input.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..._tensor import Tensor, get_default_dtype
from .. import init
from .module import Module
from ... import _sizes
from ._utils import F, _empty_parameter, _factory_dtype, _place

if TYPE_CHECKING:
    from collections.abc import Mapping


class _NormBase(Module):
    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
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

    def reset_running_stats(self) -> None:
        """Set running_mean to 0, running_var to 1 and num_batches_tracked to 0."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict: Mapping[str, Any], prefix: str, strict: bool,
                              missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        # checkpoints from before num_batches_tracked existed load with it left as is
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and self.num_batches_tracked is not None \
                and key not in state_dict:
            state_dict = dict(state_dict)
            state_dict[key] = self.num_batches_tracked._data.copy()
        super()._load_from_state_dict(state_dict, prefix, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
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
    """Applies batch normalisation over a 2-D or 3-D input, per channel.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken per channel over the batch (and length) in training mode;
    in eval mode the running statistics are used instead.

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance for numerical stability. Default: 1e-5
        momentum (float or None): the weight of the new batch in the running
            statistics, ``running = (1 - momentum) * running + momentum * batch``
            (the unbiased batch variance for running_var); None gives a cumulative
            average. Default: 0.1
        affine (bool): learn a per-channel weight and bias. Default: ``True``
        track_running_stats (bool): keep running statistics (and use them in eval
            mode); without them, batch statistics are used in both modes.
            Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters and buffers.
            Default: float32

    Attributes:
        weight (Parameter): shape ``(C,)``, initialised to 1 (None without ``affine``).
        bias (Parameter): shape ``(C,)``, initialised to 0 (None without ``affine``).
        running_mean (Tensor): buffer, shape ``(C,)``, starts at 0.
        running_var (Tensor): buffer, shape ``(C,)``, starts at 1.
        num_batches_tracked (Tensor): int64 buffer, batches seen in training.

    Shape:
        - Input: :math:`(N, C)` or :math:`(N, C, L)`
        - Output: the input's shape.

    Example::

        >>> bn = nn.BatchNorm1d(2)
        >>> bn(fastnn.tensor([[1.0, 2.0], [3.0, 6.0]]))
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]], grad_fn=<BatchNormBackward0>)
        >>> bn.running_mean, bn.running_var
        (tensor([0.2000, 0.4000]), tensor([1.1000, 1.7000]))
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Applies batch normalisation over a 4-D input (a batch of images), per channel.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, mean and (biased)
    variance taken per channel over (N, H, W) in training mode; in eval mode the
    running statistics are used instead.

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance for numerical stability. Default: 1e-5
        momentum (float or None): the weight of the new batch in the running
            statistics, ``running = (1 - momentum) * running + momentum * batch``
            (the unbiased batch variance for running_var); None gives a cumulative
            average. Default: 0.1
        affine (bool): learn a per-channel weight and bias. Default: ``True``
        track_running_stats (bool): keep running statistics (and use them in eval
            mode); without them, batch statistics are used in both modes.
            Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters and buffers.
            Default: float32

    Attributes:
        weight (Parameter): shape ``(C,)``, initialised to 1 (None without ``affine``).
        bias (Parameter): shape ``(C,)``, initialised to 0 (None without ``affine``).
        running_mean (Tensor): buffer, shape ``(C,)``, starts at 0.
        running_var (Tensor): buffer, shape ``(C,)``, starts at 1.
        num_batches_tracked (Tensor): int64 buffer, batches seen in training.

    Shape:
        - Input: :math:`(N, C, H, W)`
        - Output: :math:`(N, C, H, W)`

    Example::

        >>> bn = nn.BatchNorm2d(3)
        >>> y = bn(fastnn.randn(8, 3, 5, 5) * 4 + 2)
        >>> y.shape, bool(abs(y.mean().item()) < 1e-5)
        ((8, 3, 5, 5), True)
        >>> bn.eval()(fastnn.zeros(1, 3, 2, 2)).shape
        (1, 3, 2, 2)
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


__all__ = ["BatchNorm1d", "BatchNorm2d"]
