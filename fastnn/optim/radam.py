"""RAdam (PyTorch's formulas).

A plain per-parameter loop of array operations (no native kernel).
"""
from __future__ import annotations

from typing import Any, Callable

import math

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg
from ._betas import check_betas, decay_, lerp_

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al.): Adam whose adaptive step is switched on, and rectified, once
    the variance of the adaptive learning rate is tractable (rho_t > 5).

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (decoupled: p = p * (1 - lr * weight_decay))
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        m_hat = m / (1 - beta1**t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p = p - lr * m_hat * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        otherwise:  p = p - lr * m_hat

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``1e-3``
        betas (Tuple[float, float]): decay rates of the running averages of the
            gradient and of its square. Default: ``(0.9, 0.999)``
        eps (float): added to the denominator for numerical stability. Default: ``1e-8``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        decoupled_weight_decay (bool): decay the weights directly, as AdamW.
            Default: ``False``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.RAdam([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.4623, -0.9246])
    """
    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            rho_inf = 2 / (1 - beta2) - 1
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                t = state["step"]
                x = p._data
                g = decay_(x, g, lr, wd, group["decoupled_weight_decay"])
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(m, g, 1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                bc2 = 1 - beta2 ** t
                m_hat = m / (1 - beta1 ** t)
                rho_t = rho_inf - 2 * t * beta2 ** t / bc2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = math.sqrt(bc2) / (np.sqrt(v) + eps)
                    x -= m_hat * lr * adaptive * rect
                else:
                    x -= m_hat * lr
        return loss
