"""Adam and its AMSGrad variant (PyTorch's formulas, including where bias correction goes);
AdamW (adamw.py) reuses it with decoupled weight decay.

One kernel call per param group: get_backend(array).adam_step / adamw_step (the native backend's is
one threaded pass over all the group's parameters; the NumPy reference,
fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba), with the AMSGrad variant (PyTorch's formulation).

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (g = -g first when maximize)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                  (amsgrad: v_max replaces v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``1e-3``
        betas (Tuple[float, float]): decay rates of the running averages of the
            gradient and of its square. Default: ``(0.9, 0.999)``
        eps (float): added to the denominator for numerical stability. Default: ``1e-8``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        amsgrad (bool): use the running maximum of v (AMSGrad). Default: ``False``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.Adam([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.7016, -1.7006])
    """
    _decoupled = False

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("epsilon", eps)
        _check_nonneg("weight_decay", weight_decay)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
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
