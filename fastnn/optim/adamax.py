"""Adamax (PyTorch's formulas).

A plain per-parameter loop of array operations (no native kernel).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg
from ._betas import check_betas, lerp_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba): Adam with an infinity-norm second moment.

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (g = -g first when maximize)
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``2e-3``
        betas (Tuple[float, float]): decay rates of the running averages of the
            gradient and of its square. Default: ``(0.9, 0.999)``
        eps (float): added to the denominator for numerical stability. Default: ``1e-8``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.Adamax([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.7155, -1.7076])
    """
    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["exp_inf"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                x = p._data
                if wd != 0:
                    g = g + wd * x
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                lerp_(m, g, 1 - beta1)
                np.maximum(u * beta2, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** state["step"])
                x -= clr * (m / u)
        return loss
