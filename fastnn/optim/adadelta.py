"""Adadelta (PyTorch's formulas): an lr-free step scaled by the ratio of two running RMS.

    g = grad (+ weight_decay * p)              negated first when maximize
    v = rho * v + (1 - rho) * g * g            (square_avg)
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta    (acc_delta)
    p = p - lr * delta

A plain per-parameter loop of array operations (no native kernel: Adadelta is rarely
the hot path); it runs on whatever array type the parameter holds.
"""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_nonneg

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, rho, eps, wd = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["acc_delta"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                x = p._data
                if wd != 0:
                    g = g + wd * x
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                v *= rho
                v += (1 - rho) * g * g
                delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
                u *= rho
                u += (1 - rho) * delta * delta
                x -= lr * delta
        return loss
