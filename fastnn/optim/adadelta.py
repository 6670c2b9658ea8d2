"""Adadelta (PyTorch's formulas).

A plain per-parameter loop of array operations (no native kernel: Adadelta is rarely
the hot path); it runs on whatever array type the parameter holds.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler): steps scaled by the ratio of two running RMS, so ``lr`` is
    only a multiplier.

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (g = -g first when maximize)
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): multiplier of delta. Default: ``1.0``
        rho (float): decay rate of both running averages. Default: ``0.9``
        eps (float): added to the denominator for numerical stability. Default: ``1e-6``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.Adadelta([w], lr=1.0)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.9903, -1.9903])
    """
    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
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
