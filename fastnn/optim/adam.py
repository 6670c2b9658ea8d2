"""Adam and its AMSGrad variant (PyTorch's formulas, including where bias correction goes).

    g = grad (+ weight_decay * p)        negated first when maximize
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    v_max = max(v_max, v)                (amsgrad; v_max replaces v below)
    denom = sqrt(v) / sqrt(1 - beta2**t) + eps
    p = p - lr / (1 - beta1**t) * m / denom

AdamW (adamw.py) reuses this with weight decay applied to p directly.
One kernel call per param group: get_backend(array).adam_step / adamw_step (the
native backend's is one threaded pass over all the group's parameters; the NumPy
reference, fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
import numpy as np

from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, _check_nonneg

__all__ = ["Adam"]


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
            params, grads = self._params_and_grads(group)
            if not params:
                continue
            amsgrad = group["amsgrad"]
            exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = [], [], [], []
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = Tensor._wrap(np.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(p._data))
                state["step"] += 1
                steps.append(state["step"])
                exp_avgs.append(state["exp_avg"]._data)
                exp_avg_sqs.append(state["exp_avg_sq"]._data)
                if amsgrad:
                    max_exp_avg_sqs.append(state["max_exp_avg_sq"]._data)
            backend = get_backend(params[0]._data)
            kernel = backend.adamw_step if self._decoupled else backend.adam_step
            beta1, beta2 = group["betas"]
            kernel([p._data for p in params], grads, exp_avgs, exp_avg_sqs,
                   max_exp_avg_sqs if amsgrad else None, steps, lr=group["lr"], beta1=beta1,
                   beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                   amsgrad=amsgrad, maximize=group["maximize"])
        return loss
