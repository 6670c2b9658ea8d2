"""Adam and its AMSGrad variant (PyTorch's formulas, including where bias correction goes).

    g = grad (+ weight_decay * p)        negated first when maximize
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v)                (amsgrad; v_max replaces v below)
    denom = sqrt(v) / sqrt(1 - beta2**t) + eps
    p = p - lr / (1 - beta1**t) * m / denom

AdamW (adamw.py) reuses this with weight decay applied to p directly.
"""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _check_nonneg

__all__ = ["Adam"]


def _lerp_(start, end, weight, tmp=None):
    """start += weight * (end - start) in place, in the form PyTorch's lerp uses for weight < 0.5.

    ``tmp``, an array like ``start``, avoids allocating a temporary.
    """
    tmp = np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=start)


class Adam(Optimizer):
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            wd, amsgrad = group["weight_decay"], group["amsgrad"]
            for p, g in self._grads(group):
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                if wd != 0:
                    if self._decoupled:
                        p._data *= 1 - lr * wd
                    else:
                        g = g + wd * p._data
                state["step"] = t = state["step"] + 1
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                tmp = np.empty_like(m)  # one scratch array instead of a temporary per operation
                _lerp_(m, g, 1 - beta1, tmp)
                v *= beta2
                np.multiply(g, g, out=tmp)
                tmp *= 1 - beta2
                v += tmp
                step_size = lr / (1 - beta1 ** t)
                bc2_sqrt = (1 - beta2 ** t) ** 0.5
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]._data
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                denom = np.sqrt(v, out=tmp)
                denom /= bc2_sqrt
                denom += eps
                np.divide(m, denom, out=denom)
                denom *= step_size
                p._data -= denom
        return loss
