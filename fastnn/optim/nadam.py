"""NAdam (PyTorch's formulas).

A plain per-parameter loop of array operations (no native kernel).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg
from ._betas import check_betas, decay_, lerp_

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat): Adam with Nesterov momentum and a momentum schedule.

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (decoupled: p = p * (1 - lr * weight_decay))
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));   mu_prod = mu_prod * mu_t
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - mu_prod) * g / denom
              - lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / denom

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``2e-3``
        betas (Tuple[float, float]): decay rates of the running averages of the
            gradient and of its square. Default: ``(0.9, 0.999)``
        eps (float): added to the denominator for numerical stability. Default: ``1e-8``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        momentum_decay (float): the psi of the momentum schedule. Default: ``4e-3``
        decoupled_weight_decay (bool): decay the weights directly, as AdamW.
            Default: ``False``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.NAdam([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.7527, -1.7475])
    """
    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            psi = group["momentum_decay"]
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["mu_product"] = 1.0
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                t = state["step"]
                x = p._data
                g = decay_(x, g, lr, wd, group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                # PyTorch keeps mu_product in a float32 tensor whatever the params' dtype
                state["mu_product"] = float(np.float32(state["mu_product"]) * np.float32(mu))
                mu_prod = state["mu_product"]
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(m, g, 1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                denom = np.sqrt(v / (1 - beta2 ** t)) + eps
                x -= (lr * (1.0 - mu) / (1.0 - mu_prod)) * (g / denom)
                x -= (lr * mu_next / (1.0 - mu_prod * mu_next)) * (m / denom)
        return loss
