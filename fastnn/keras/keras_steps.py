"""Keras 3's update formulas where they are not PyTorch's, as fastnn Optimizers
(short NumPy loops per parameter; keras/optimizers.py builds them):

    SGD(momentum):  m = momentum * m - lr * g;  p += m   (nesterov: p += momentum * m - lr * g)
    RMSprop:        v = rho * v + (1 - rho) g^2;  centered: a = rho * a + (1 - rho) g, v' = v - a^2
                    inc = lr * g / sqrt(v' + eps)  (eps inside the root)
                    momentum: m = momentum * m + inc; p -= m   else p -= inc
    Adagrad:        s += g^2;  p -= lr * g / sqrt(s + eps)   (s starts at initial_accumulator_value)
"""
from __future__ import annotations

import numpy as np

from ..optim.optimizer import Optimizer
from .._tensor import Tensor


def _buffer(state, key, like, fill=0.0):
    if key not in state:
        state[key] = Tensor._wrap(np.full_like(like, fill))
    return state[key]._data


class KerasSGD(Optimizer):
    def __init__(self, params, lr, momentum, nesterov):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov))

    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, mom = group["lr"], group["momentum"]
            for p, g in self._grads(group):
                m = _buffer(self.state[p], "momentum", p._data)
                m *= mom
                m -= lr * g
                if group["nesterov"]:
                    p._data += mom * m - lr * g
                else:
                    p._data += m
        return loss


class KerasRMSprop(Optimizer):
    def __init__(self, params, lr, rho, momentum, epsilon, centered):
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, eps=epsilon,
                                      centered=centered))

    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, rho, mom, eps = group["lr"], group["rho"], group["momentum"], group["eps"]
            for p, g in self._grads(group):
                state = self.state[p]
                v = _buffer(state, "velocity", p._data)
                v *= rho
                v += (1 - rho) * g * g
                denom = v
                if group["centered"]:
                    a = _buffer(state, "average_gradient", p._data)
                    a *= rho
                    a += (1 - rho) * g
                    denom = v - a * a
                inc = lr * g / np.sqrt(denom + eps)
                if mom > 0:
                    m = _buffer(state, "momentum", p._data)
                    m *= mom
                    m += inc
                    p._data -= m
                else:
                    p._data -= inc
        return loss


class KerasAdagrad(Optimizer):
    def __init__(self, params, lr, initial_accumulator_value, epsilon):
        super().__init__(params, dict(lr=lr, initial_accumulator_value=initial_accumulator_value,
                                      eps=epsilon))

    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            for p, g in self._grads(group):
                s = _buffer(self.state[p], "accumulator", p._data, group["initial_accumulator_value"])
                s += g * g
                p._data -= group["lr"] * g / np.sqrt(s + group["eps"])
        return loss
