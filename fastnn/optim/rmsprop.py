"""RMSprop, optionally centered and with momentum (PyTorch's formulas).

    g = grad (+ weight_decay * p)               negated first when maximize
    v = alpha * v + (1 - alpha) * g * g
    centered: a = lerp(a, g, 1 - alpha); avg = sqrt(v - a * a) + eps   else avg = sqrt(v) + eps
    momentum: buf = momentum * buf + g / avg;  p = p - lr * buf
    else:     p = p - lr * g / avg

One kernel call per param group: get_backend(array).rmsprop_step (the native
backend's is one threaded pass over all the group's parameters; the NumPy
reference, fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
import numpy as np

from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, _check_nonneg

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def step(self, closure=None):
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
