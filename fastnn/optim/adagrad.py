"""Adagrad (PyTorch's formulas); the accumulator starts at initial_accumulator_value.

One kernel call per param group: get_backend(array).adagrad_step (the native backend's is
one threaded pass over all the group's parameters; the NumPy reference,
fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, ParamsT, _check_nonneg

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): per-element steps scaled by the accumulated squared gradient.

    For each parameter ``p`` with gradient ``grad``, at step ``t`` (from 1)::

        g = grad + weight_decay * p            (g = -g first when maximize)
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                          (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    Args:
        params (iterable): Tensors to optimise, or dicts defining parameter groups
            (each with its own options).
        lr (float): learning rate. Default: ``1e-2``
        lr_decay (float): learning-rate decay per step. Default: ``0``
        weight_decay (float): L2 penalty added to the gradient. Default: ``0``
        initial_accumulator_value (float): starting value of s. Default: ``0``
        eps (float): added to the denominator for numerical stability. Default: ``1e-10``
        maximize (bool): maximise the objective instead (the gradient is negated).
            Default: ``False``

    Example::

        >>> w = nn.Parameter(fastnn.tensor([1.0, -2.0]))
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w.detach()
        tensor([ 0.7805, -1.7758])
    """
    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        _check_nonneg("learning rate", lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        _check_nonneg("epsilon", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        # PyTorch creates Adagrad's state eagerly, so state_dict() has it before the first step.
        for group in self.param_groups:
            self._init_group_state(group)

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        if hasattr(self, "state"):
            self._init_group_state(self.param_groups[-1])

    def _init_group_state(self, group):
        for p in group["params"]:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["sum"] = Tensor._wrap(np.full_like(p._data, group["initial_accumulator_value"]))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._call_closure(closure)
        for group in self.param_groups:
            params, grads = self._params_and_grads(group)
            if not params:
                continue
            sums, steps = [], []
            for p in params:
                state = self.state[p]
                state["step"] += 1
                steps.append(state["step"])
                sums.append(state["sum"]._data)
            get_backend(params[0]._data).adagrad_step(
                [p._data for p in params], grads, sums, steps, lr=group["lr"],
                lr_decay=group["lr_decay"], weight_decay=group["weight_decay"], eps=group["eps"],
                maximize=group["maximize"])
        return loss
