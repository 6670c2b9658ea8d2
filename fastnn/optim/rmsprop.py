"""RMSprop, optionally centered and with momentum (PyTorch's formulas).

One kernel call per param group: get_backend(array).rmsprop_step (the native backend's is
one threaded pass over all the group's parameters; the NumPy reference,
fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton): steps scaled by a running RMS of the gradient, optionally centered
    and with momentum.

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (g = -g first when maximize)
        v = alpha * v + (1 - alpha) * g * g
        centered:  a = alpha * a + (1 - alpha) * g;   avg = sqrt(v - a * a) + eps
        otherwise: avg = sqrt(v) + eps
        momentum > 0:  buf = momentum * buf + g / avg;   p = p - lr * buf
        otherwise:     p = p - lr * g / avg

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``1e-2``
        alpha (float): smoothing constant of v. Default: ``0.99``
        eps (float): added to the denominator for numerical stability. Default: ``1e-8``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        momentum (float): momentum factor. Default: ``0``
        centered (bool): normalise by the estimated variance of the gradient.
            Default: ``False``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.7800, -1.7753])
    """
    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            params, grads = self._params_and_grads(group)
            if not params:
                continue
            momentum, centered = group["momentum"], group["centered"]
            square_avgs, grad_avgs, bufs = [], [], []
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._wrap(np.zeros_like(p._data))
                    if centered:
                        state["grad_avg"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                square_avgs.append(state["square_avg"]._data)
                if centered:
                    grad_avgs.append(state["grad_avg"]._data)
                if momentum > 0:
                    bufs.append(state["momentum_buffer"]._data)
            get_backend(params[0]._data).rmsprop_step(
                [p._data for p in params], grads, square_avgs, grad_avgs if centered else None,
                bufs if momentum > 0 else None, lr=group["lr"], alpha=group["alpha"],
                eps=group["eps"], weight_decay=group["weight_decay"], momentum=momentum,
                centered=centered, maximize=group["maximize"])
        return loss
