"""Keras 3's update formulas where they are not PyTorch's, as fastnn Optimizers
(short NumPy loops per parameter; keras/optimizers.py builds them):

    SGD(momentum):  m = momentum * m - lr * g;  p += m   (nesterov: p += momentum * m - lr * g)
    RMSprop:        v = rho * v + (1 - rho) g^2;  centered: a = rho * a + (1 - rho) g, v' = v - a^2
                    inc = lr * g / sqrt(v' + eps)  (eps inside the root)
                    momentum: m = momentum * m + inc; p -= m   else p -= inc
    Adagrad:        s += g^2;  p -= lr * g / sqrt(s + eps)   (s starts at initial_accumulator_value)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..optim.optimizer import Optimizer
from .._tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Iterable


def _buffer(state: dict[str, Any], key: str, like: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """The state array ``key``, made as ``fill`` in the shape of ``like`` on first use."""
    if key not in state:
        state[key] = Tensor._wrap(np.full_like(like, fill))
    return state[key]._data


class KerasSGD(Optimizer):
    """Keras's momentum SGD (the velocity holds ``lr * g``); keras.optimizers.SGD uses it."""

    def __init__(self, params: Iterable[Any], lr: float, momentum: float, nesterov: bool) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
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
    """Keras's RMSprop (epsilon inside the root); keras.optimizers.RMSprop uses it."""

    def __init__(self, params: Iterable[Any], lr: float, rho: float, momentum: float, epsilon: float,
                 centered: bool) -> None:
        super().__init__(params, dict(lr=lr, rho=rho, momentum=momentum, eps=epsilon,
                                      centered=centered))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
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
    """Keras's Adagrad (epsilon inside the root); keras.optimizers.Adagrad uses it."""

    def __init__(self, params: Iterable[Any], lr: float, initial_accumulator_value: float,
                 epsilon: float) -> None:
        super().__init__(params, dict(lr=lr, initial_accumulator_value=initial_accumulator_value,
                                      eps=epsilon))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            for p, g in self._grads(group):
                s = _buffer(self.state[p], "accumulator", p._data, group["initial_accumulator_value"])
                s += g * g
                p._data -= group["lr"] * g / np.sqrt(s + group["eps"])
        return loss
