"""Adamax (PyTorch's formulas): Adam with an infinity-norm second moment.

    g = grad (+ weight_decay * p)            negated first when maximize
    m = lerp(m, g, 1 - beta1)
    u = max(beta2 * u, |g| + eps)            (exp_inf)
    p = p - lr / (1 - beta1**t) * m / u

A plain per-parameter loop of array operations (no native kernel).
"""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_nonneg
from ._betas import check_betas, lerp_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def step(self, closure=None):
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
