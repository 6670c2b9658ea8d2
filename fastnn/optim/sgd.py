"""SGD with momentum, dampening, Nesterov momentum and weight decay (PyTorch's formulas).

One kernel call per param group: get_backend(array).sgd_step (the native backend's is
one threaded pass over all the group's parameters; the NumPy reference,
fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
from __future__ import annotations

from typing import Any, Callable

from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's formulation).

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (g = -g first when maximize)
        when momentum != 0:
            buf = g                            (first step; afterwards:)
            buf = momentum * buf + (1 - dampening) * g
            g = g + momentum * buf  (nesterov)   or   g = buf
        p = p - lr * g

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``1e-3``
        momentum (float): momentum factor. Default: ``0``
        dampening (float): dampening of the momentum. Default: ``0``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        nesterov (bool): Nesterov momentum (needs momentum > 0, dampening 0). Default: ``False``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.0620, -0.1240])
    """
    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            params, grads = self._params_and_grads(group)
            if not params:
                continue
            momentum = group["momentum"]
            bufs = None
            if momentum != 0:
                bufs = [self.state[p].get("momentum_buffer") for p in params]
                bufs = [None if b is None else b._data for b in bufs]
            get_backend(params[0]._data).sgd_step(
                [p._data for p in params], grads, bufs, lr=group["lr"], momentum=momentum,
                dampening=group["dampening"], weight_decay=group["weight_decay"],
                nesterov=group["nesterov"], maximize=group["maximize"])
            if bufs is not None:
                for p, b in zip(params, bufs):
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:  # created by this first step
                        state["momentum_buffer"] = Tensor._wrap(b)
        return loss
