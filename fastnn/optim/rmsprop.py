"""RMSprop, optionally centered and with momentum (PyTorch's formulas).

    g = grad (+ weight_decay * p)               negated first when maximize
    v = alpha * v + (1 - alpha) * g * g
    centered: a = lerp(a, g, 1 - alpha); avg = sqrt(v - a * a) + eps   else avg = sqrt(v) + eps
    momentum: buf = momentum * buf + g / avg;  p = p - lr * buf
    else:     p = p - lr * g / avg
"""
import numpy as np

from ..tensor import Tensor
from .adam import _lerp_
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
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._wrap(np.zeros_like(p._data))
                    if centered:
                        state["grad_avg"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                if wd != 0:
                    g = g + wd * p._data
                v = state["square_avg"]._data
                avg = np.empty_like(v)  # one scratch array reused for every temporary
                v *= alpha
                np.multiply(g, g, out=avg)
                avg *= 1 - alpha
                v += avg
                if centered:
                    a = state["grad_avg"]._data
                    _lerp_(a, g, 1 - alpha, avg)
                    np.multiply(a, a, out=avg)
                    np.subtract(v, avg, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(v, out=avg)
                avg += eps
                np.divide(g, avg, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += avg
                    avg = np.multiply(buf, lr, out=avg)
                else:
                    avg *= lr
                p._data -= avg
        return loss
