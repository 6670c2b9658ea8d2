"""The cyclical learning-rate policies, stepped once per batch, with PyTorch's semantics
(re-exported by lr_scheduler): OneCycleLR (Smith's 1cycle) and CyclicLR (cyclical
learning rates). Both move momentum (or Adam's beta1) opposite to the lr."""
from __future__ import annotations

import math
from typing import Callable

from .lr_scheduler import LRScheduler
from .optimizer import Optimizer

__all__ = ["OneCycleLR", "CyclicLR"]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): the lr warms from ``max_lr / div_factor`` up to
    ``max_lr`` over ``pct_start`` of the steps, then anneals to
    ``max_lr / (div_factor * final_div_factor)``; momentum (or Adam's beta1) moves the
    other way between ``max_momentum`` and ``base_momentum``. Stepped once per batch.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        max_lr (float or list): the peak lr, or one per group.
        total_steps (int, optional): steps in the cycle; else ``epochs * steps_per_epoch``.
        epochs (int, optional): with ``steps_per_epoch``, gives ``total_steps``.
        steps_per_epoch (int, optional): see ``epochs``.
        pct_start (float): fraction of the cycle spent increasing the lr. Default: ``0.3``
        anneal_strategy (str): ``'cos'`` or ``'linear'``. Default: ``'cos'``
        cycle_momentum (bool): cycle momentum inversely to the lr. Default: ``True``
        base_momentum (float or list): the lowest momentum. Default: ``0.85``
        max_momentum (float or list): the highest momentum. Default: ``0.95``
        div_factor (float): ``initial_lr = max_lr / div_factor``. Default: ``25.0``
        final_div_factor (float): ``min_lr = initial_lr / final_div_factor``. Default: ``1e4``
        three_phase (bool): go back down to ``initial_lr`` symmetrically before the final
            annealing. Default: ``False``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1, momentum=0.9)
        >>> sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
        >>> lrs = []
        >>> for batch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.04, 0.9505, 0.6113, 0.1883, 0.0]
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
            if epochs <= 0 or steps_per_epoch <= 0:
                raise ValueError("epochs and steps_per_epoch must be positive integers")
            total_steps = epochs * steps_per_epoch
        elif total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        if three_phase:
            self._schedule_phases = [
                dict(end_step=float(pct_start * total_steps) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=float(2 * pct_start * total_steps) - 2, start_lr="max_lr",
                     end_lr="initial_lr", start_momentum="base_momentum",
                     end_momentum="max_momentum"),
                dict(end_step=total_steps - 1, start_lr="initial_lr", end_lr="min_lr",
                     start_momentum="max_momentum", end_momentum="max_momentum"),
            ]
        else:
            self._schedule_phases = [
                dict(end_step=float(pct_start * total_steps) - 1, start_lr="initial_lr",
                     end_lr="max_lr", start_momentum="max_momentum", end_momentum="base_momentum"),
                dict(end_step=total_steps - 1, start_lr="max_lr", end_lr="min_lr",
                     start_momentum="base_momentum", end_momentum="max_momentum"),
            ]
        groups = optimizer.param_groups
        max_lrs = _per_group(max_lr, groups, "max_lr")
        if last_epoch == -1:
            for lr, group in zip(max_lrs, groups):
                group["initial_lr"] = lr / div_factor
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                                 "option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            max_ms = _per_group(max_momentum, groups, "max_momentum")
            base_ms = _per_group(base_momentum, groups, "base_momentum")
            if last_epoch == -1:
                for m_max, m_base, group in zip(max_ms, base_ms, groups):
                    if self.use_beta1:
                        group["betas"] = (m_max, *group["betas"][1:])
                    else:
                        group["momentum"] = m_max
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(f"Tried to step {step_num} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


def _per_group(value, groups, name):
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"expected {len(groups)} values for {name}, got {len(value)}")
        return list(value)
    return [value] * len(groups)


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith): the lr moves between ``base_lr`` and ``max_lr`` in
    triangles of ``step_size_up + step_size_down`` batches; ``'triangular2'`` halves the
    height every cycle, ``'exp_range'`` scales it by ``gamma ** iteration``. Momentum (or
    Adam's beta1) moves the other way when ``cycle_momentum``. Stepped once per batch.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        base_lr (float or list): the lower lr, or one per group (sets the groups' lr).
        max_lr (float or list): the upper lr.
        step_size_up (int): batches of the rising half. Default: ``2000``
        step_size_down (int, optional): batches of the falling half. Default: ``step_size_up``
        mode (str): ``'triangular'``, ``'triangular2'`` or ``'exp_range'``. Default: ``'triangular'``
        gamma (float): the base of ``'exp_range'``. Default: ``1.0``
        scale_fn (callable, optional): a custom amplitude scale (overrides ``mode``).
            Default: ``None``
        scale_mode (str): ``scale_fn`` takes the cycle number (``'cycle'``) or the iteration
            (``'iterations'``). Default: ``'cycle'``
        cycle_momentum (bool): cycle momentum inversely to the lr. Default: ``True``
        base_momentum (float or list): the lowest momentum. Default: ``0.8``
        max_momentum (float or list): the highest momentum. Default: ``0.9``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1, momentum=0.9)
        >>> sched = optim.lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2)
        >>> lrs = []
        >>> for batch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.55]
    """

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float],
                 max_lr: float | list[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.8,
                 max_momentum: float | list[float] = 0.9, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        groups = optimizer.param_groups
        base_lrs = _per_group(base_lr, groups, "base_lr")
        if last_epoch == -1:
            for lr, group in zip(base_lrs, groups):
                group["lr"] = lr
        self.max_lrs = _per_group(max_lr, groups, "max_lr")
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else \
            ("iterations" if mode == "exp_range" else "cycle")
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                                 "option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group(base_momentum, groups, "base_momentum")
            self.max_momentums = _per_group(max_momentum, groups, "max_momentum")
            if last_epoch == -1:
                for m_max, m_base, group in zip(self.max_momentums, self.base_momentums, groups):
                    if self.use_beta1:
                        group["betas"] = (m_max, *group["betas"][1:])
                    else:
                        group["momentum"] = m_max
                    group["max_momentum"] = m_max
                    group["base_momentum"] = m_base
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        scale = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [base + (top - base) * scale * self.scale_fn(at)
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, m_base, m_max in zip(self.optimizer.param_groups, self.base_momentums,
                                            self.max_momentums):
                m = m_max - (m_max - m_base) * scale * self.scale_fn(at)
                if self.use_beta1:
                    group["betas"] = (m, *group["betas"][1:])
                else:
                    group["momentum"] = m
        return lrs

    def state_dict(self):
        # a custom scale function cannot be saved (PyTorch drops it too)
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_scale_fn_custom")}
