"""Learning-rate schedulers with PyTorch's semantics.

A scheduler writes ``group["lr"]`` of its optimizer's param groups. Like
PyTorch, ``step()`` computes each new lr from the current one (a recursive
formula), so sequences match ``torch.optim.lr_scheduler`` step for step
(CosineAnnealingLR's recursive form differs from the closed form in the last
digits); ``step(epoch)`` jumps with the closed form where one exists.
"""
from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from typing import Any, Callable, Iterable

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau", "LambdaLR", "OneCycleLR", "MultiplicativeLR", "ConstantLR",
           "LinearLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "SequentialLR",
           "ChainedScheduler", "CyclicLR"]


class LRScheduler:
    """Base class of the lr schedulers: records each group's ``initial_lr`` as ``base_lrs``,
    counts epochs in ``last_epoch``, and on every :meth:`step` writes the lrs that the
    subclass's ``get_lr()`` computes into the optimizer's param groups. Construction
    takes the first step (epoch 0).

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        last_epoch (int): index of the last epoch when resuming (the groups must then have
            ``initial_lr``); ``-1`` starts afresh. Default: ``-1``

    Example::

        >>> class Halve(optim.lr_scheduler.LRScheduler):
        ...     def get_lr(self):
        ...         return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = Halve(opt)
        >>> sched.step()
        >>> sched.get_last_lr(), sched.last_epoch
        ([0.05], 1)
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   "when resuming a scheduler with last_epoch >= 0")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        """The step every scheduler takes on construction (sets the epoch-0 lr)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lrs of the current ``last_epoch``, one per param group (subclasses define it)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per param group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or, deprecated, jump to ``epoch``) and set the new lrs."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn("passing an epoch to scheduler.step() is deprecated", UserWarning,
                          stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") \
                else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler


class _LambdaSchedule(LRScheduler):
    """Schedules driven by one user function per param group (LambdaLR, MultiplicativeLR)."""

    def _set_lambdas(self, optimizer, lr_lambda):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n

    def state_dict(self):
        # plain functions cannot be saved; callable objects keep their attributes (as PyTorch)
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas", [])
        self.__dict__.update(state_dict)
        for fn, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                fn.__dict__.update(attrs)


class LambdaLR(_LambdaSchedule):
    """Sets each group's lr to ``base_lr * lr_lambda(epoch)``.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        lr_lambda (callable or list): a function of the epoch, or one per param group.
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.0333, 0.025]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        self._set_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]


class StepLR(LRScheduler):
    """Multiplies the lr by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        step_size (int): period of the decay, in epochs.
        gamma (float): multiplicative factor. Default: ``0.1``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiplies the lr by ``gamma`` at each milestone epoch (a milestone listed twice
    multiplies twice).

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        milestones (list of int): the epochs at which to decay.
        gamma (float): multiplicative factor. Default: ``0.1``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.01, 0.01, 0.001, 0.001]
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        ms = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(ms, self.last_epoch) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiplies the lr by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        gamma (float): multiplicative factor.
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.025, 0.0125]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneals the lr along a cosine from ``base_lr`` to ``eta_min`` over ``T_max`` epochs
    (and back up after, as PyTorch; SGDR without restarts):

    .. math::
        \eta_t = \eta_{min} + \frac{1}{2}(\eta_{max} - \eta_{min})\left(1 + \cos\frac{t \pi}{T_{max}}\right)

    As PyTorch, each step rescales the current lr by the ratio of consecutive cosine
    terms, so an lr changed from outside (another scheduler) is respected.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        T_max (int): epochs of one half cosine.
        eta_min (float): the minimum lr. Default: ``0.0``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.0854, 0.05, 0.0146, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        T, eta = self.T_max, self.eta_min
        e = self.last_epoch
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and e > 0:
            return [eta + (base - eta) * (1 + math.cos(e * math.pi / T)) / 2 for base in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + (base - eta) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - eta) + eta
                for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiplies the lr by ``factor`` once a metric has stopped improving for more than
    ``patience`` epochs; ``step(metric)`` is called with the metric each epoch.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        mode (str): ``'min'`` (lower is better) or ``'max'``. Default: ``'min'``
        factor (float): multiplier of the lr, < 1. Default: ``0.1``
        patience (int): epochs without improvement tolerated before reducing. Default: ``10``
        threshold (float): the least change that counts as improvement. Default: ``1e-4``
        threshold_mode (str): ``'rel'`` (relative to the best) or ``'abs'``. Default: ``'rel'``
        cooldown (int): epochs to wait after a reduction before counting again. Default: ``0``
        min_lr (float or list): lower bound of the lr, or one per group. Default: ``0``
        eps (float): reductions smaller than this are skipped. Default: ``1e-8``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> lrs = []
        >>> for val_loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]:
        ...     sched.step(val_loss)
        ...     lrs.append(round(opt.param_groups[0]["lr"], 4))
        >>> lrs
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.025]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode} is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode} is unknown!")
        self.factor = factor
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.default_min_lr = None
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's ``metrics`` (a number) and reduce the lr if it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("passing an epoch to scheduler.step() is deprecated", UserWarning,
                          stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self):
        for i, group in enumerate(self.optimizer.param_groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                group["lr"] = new


# More schedules live in two more files: factor-based, warm restarts and composition
# (lr_schedules_more.py); the per-batch cyclical policies (lr_schedules_cyclic.py).
from .lr_schedules_cyclic import CyclicLR, OneCycleLR, _per_group  # noqa: E402,F401
from .lr_schedules_more import (ChainedScheduler, ConstantLR, CosineAnnealingWarmRestarts,  # noqa: E402
                                LinearLR, MultiplicativeLR, PolynomialLR, SequentialLR)
