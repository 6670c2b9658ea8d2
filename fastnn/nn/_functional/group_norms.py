"""instance_norm and group_norm: per-sample normalisation over channel groups' spatial
extent, written with differentiable tensor ops (mean, var, broadcasting), so autograd gives
the backward. Formulas as torch: biased variance for normalising, unbiased for the running
variance instance_norm may track."""
import numbers

import numpy as np

from ..._tensor import Tensor, no_grad


def _check_input(input, fname, min_dim=3):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}: input must be a Tensor, got {type(input).__name__}")
    if input.dim() < min_dim:
        raise ValueError(f"{fname}: expected input with at least {min_dim} dims (N, C, ...), "
                         f"got shape {tuple(input.shape)}")


def _affine(y, weight, bias):
    shape = (1, -1) + (1,) * (y.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(*shape)
    if bias is not None:
        y = y + bias.reshape(*shape)
    return y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) over its spatial dims, as torch.nn.functional.instance_norm."""
    _check_input(input, "instance_norm")
    dims = tuple(range(2, input.dim()))
    if use_input_stats:
        mean = input.mean(dim=dims, keepdim=True)
        var = input.var(dim=dims, unbiased=False, keepdim=True)
        if running_mean is not None or running_var is not None:
            n = int(np.prod(input.shape[2:]))
            with no_grad():
                m = mean.detach().reshape(input.shape[0], input.shape[1]).mean(0)
                unbiased = var.detach().reshape(input.shape[0], input.shape[1]) * (n / max(n - 1, 1))
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(m * momentum)
                if running_var is not None:
                    running_var.mul_(1 - momentum).add_(unbiased.mean(0) * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
        shape = (1, -1) + (1,) * len(dims)
        mean, var = running_mean.reshape(*shape), running_var.reshape(*shape)
    y = (input - mean) / (var + eps).sqrt()
    return _affine(y, weight, bias)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over groups of ``C / num_groups`` channels and their spatial dims."""
    _check_input(input, "group_norm", min_dim=2)
    if isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral) \
            or num_groups <= 0:
        raise ValueError(f"group_norm: num_groups must be a positive int, got {num_groups!r}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise ValueError(f"group_norm: num_channels={c} must be divisible by num_groups={num_groups}")
    g = input.reshape(n, num_groups, -1)
    mean = g.mean(dim=2, keepdim=True)
    var = g.var(dim=2, unbiased=False, keepdim=True)
    y = ((g - mean) / (var + eps).sqrt()).reshape(*input.shape)
    return _affine(y, weight, bias)


__all__ = ["instance_norm", "group_norm"]
