"""instance_norm and group_norm: per-sample normalisation over channel groups' spatial
extent, written with differentiable tensor ops (mean, var, broadcasting), so autograd gives
the backward. Formulas as torch: biased variance for normalising, unbiased for the running
variance instance_norm may track."""
from __future__ import annotations

import numbers

import numpy as np

from ..._tensor import Tensor, no_grad


def _check_input(input: Tensor, fname: str, min_dim: int = 3) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}: input must be a Tensor, got {type(input).__name__}")
    if input.dim() < min_dim:
        raise ValueError(f"{fname}: expected input with at least {min_dim} dims (N, C, ...), "
                         f"got shape {tuple(input.shape)}")


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    shape = (1, -1) + (1,) * (y.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(*shape)
    if bias is not None:
        y = y + bias.reshape(*shape)
    return y


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Normalises each (sample, channel) over its spatial dims:
    :math:`y = (x - \mathrm{E}[x]) / \sqrt{\mathrm{Var}[x] + \epsilon} \cdot \gamma + \beta`.

    With ``use_input_stats`` the statistics are the input's own (biased variance) and the
    running buffers, if given, move towards their batch means (unbiased variance) by
    ``momentum``; otherwise the running statistics are used.

    Args:
        input (Tensor): :math:`(N, C, *)`, at least one spatial dim.
        running_mean (Tensor, optional): :math:`(C)`, updated in place. Default: ``None``
        running_var (Tensor, optional): :math:`(C)`, updated in place. Default: ``None``
        weight (Tensor, optional): :math:`\gamma`, :math:`(C)`. Default: ``None``
        bias (Tensor, optional): :math:`\beta`, :math:`(C)`. Default: ``None``
        use_input_stats (bool): normalise with the input's statistics. Default: ``True``
        momentum (float): weight of the new statistic in the running update. Default: ``0.1``
        eps (float): added to the variance. Default: ``1e-5``

    Shape:
        - Input: :math:`(N, C, *)`; Output: same shape.

    Example::

        >>> F.instance_norm(fastnn.tensor([[[1.0, 3.0], [2.0, 6.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [-1.0000,  1.0000]]])
    """
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


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Normalises each sample over groups of ``C / num_groups`` channels together with their
    spatial dims (biased variance), then applies the per-channel affine ``weight``, ``bias``.

    Args:
        input (Tensor): :math:`(N, C, *)`.
        num_groups (int): number of groups; must divide C.
        weight (Tensor, optional): :math:`\gamma`, :math:`(C)`. Default: ``None``
        bias (Tensor, optional): :math:`\beta`, :math:`(C)`. Default: ``None``
        eps (float): added to the variance. Default: ``1e-5``

    Shape:
        - Input: :math:`(N, C, *)`; Output: same shape.

    Example::

        >>> F.group_norm(fastnn.tensor([[1.0, 2.0, 3.0, 6.0]]), 2)
        tensor([[-1.0000,  1.0000, -1.0000,  1.0000]])
    """
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
