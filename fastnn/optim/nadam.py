"""NAdam (PyTorch's formulas): Adam with Nesterov momentum and a momentum schedule.

    g = grad (+ weight_decay * p, or p *= 1 - lr * wd when decoupled)
    mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));  mu_prod *= mu_t
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v / (1 - beta2**t)) + eps
    p -= lr * (1 - mu_t) / (1 - mu_prod) * g / denom
    p -= lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / denom

A plain per-parameter loop of array operations (no native kernel).
"""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_nonneg
from ._betas import check_betas, decay_, lerp_

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        check_betas(betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def step(self, closure=None):
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
