"""More learning-rate schedulers with PyTorch's semantics (re-exported by lr_scheduler):
factor schedules (MultiplicativeLR, ConstantLR, LinearLR, PolynomialLR), SGDR warm
restarts (CosineAnnealingWarmRestarts) and composition
(SequentialLR, ChainedScheduler).

As in lr_scheduler.py, ``step()`` updates each lr from the current one with PyTorch's
recursive formulas, so sequences match torch.optim.lr_scheduler to the last bit.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING, Callable, Sequence

from .lr_scheduler import LRScheduler, ReduceLROnPlateau, _LambdaSchedule

if TYPE_CHECKING:
    from .optimizer import Optimizer

__all__ = ["MultiplicativeLR", "ConstantLR", "LinearLR", "PolynomialLR",
           "CosineAnnealingWarmRestarts", "SequentialLR", "ChainedScheduler"]


class MultiplicativeLR(_LambdaSchedule):
    """Multiplies the lr by ``lr_lambda(epoch)`` every epoch.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        lr_lambda (callable or list): a function of the epoch giving the factor, or one
            per param group.
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.9)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.09, 0.081, 0.0729]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        self._set_lambdas(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current_lrs())]


class ConstantLR(LRScheduler):
    """Multiplies the lr by ``factor`` for the first ``total_iters`` epochs, then restores it.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        factor (float): the multiplier, in [0, 1]. Default: ``1/3``
        total_iters (int): epochs the factor applies. Default: ``5``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.05, 0.05, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current_lrs()]
        if self.last_epoch != self.total_iters:
            return self._current_lrs()
        return [lr * (1.0 / self.factor) for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Moves the lr's multiplier linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then keeps it (a warm-up when ``start_factor < 1``).

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        start_factor (float): the first epoch's multiplier, in (0, 1]. Default: ``1/3``
        end_factor (float): the final multiplier, in [0, 1]. Default: ``1.0``
        total_iters (int): epochs to get there. Default: ``5``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.025, 0.05, 0.075, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             "less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        # ratio of consecutive factors: (s + e_t k) / (s + (e_t - 1) k), k = (end - start) / T
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * (self.start_factor + (self.end_factor - self.start_factor)
                        * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decays the lr polynomially to zero over ``total_iters`` epochs:
    ``lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        total_iters (int): epochs of the decay. Default: ``5``
        power (float): the polynomial's power. Default: ``1.0``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.0563, 0.025, 0.0062, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        e, T = self.last_epoch, self.total_iters
        factor = ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** self.power
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self):
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter): a cosine from ``base_lr`` to ``eta_min`` over ``T_i``
    epochs, then a restart with ``T_i = T_i * T_mult``. ``step()`` also takes a
    fractional epoch (``sched.step(epoch + i / iters)``) to anneal within an epoch.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        T_0 (int): epochs before the first restart.
        T_mult (int): growth factor of the period after each restart. Default: ``1``
        eta_min (float): the minimum lr. Default: ``0.0``
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None):
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # which restart the epoch falls in: T_0 (T_mult^n - 1) / (T_mult - 1) <= epoch
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()


def _check_children(owner, optimizer, schedulers):
    if len(schedulers) < 1:
        raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{owner} at index {i} should have `optimizer` as its attribute.")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                             f"additional kwargs to be specified when calling `step`, but got one "
                             f"at index {i} in the given schedulers sequence.")
        if s.optimizer is not optimizer:
            raise ValueError(f"{owner} expects all schedulers to belong to the same optimizer, but "
                             f"got scheduler {type(s).__name__} at index {i} with another one.")


class _Composite(LRScheduler):
    """State of a scheduler made of schedulers: its own attributes plus each child's state."""

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        children = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, children):
            s.load_state_dict(sd)


class SequentialLR(_Composite):
    """Hands over from one scheduler to the next at each milestone epoch (e.g. a
    LinearLR warm-up, then a decay); the next one starts from its own epoch 0.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` (per param group) is scheduled.
        schedulers (list): the schedulers, all of ``optimizer``.
        milestones (list of int): the epochs of the hand-overs, one fewer than schedulers.
        last_epoch (int): index of the last epoch when resuming; ``-1`` starts afresh.
            Default: ``-1``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> warmup = optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> sched = optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[2])
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.05, 0.075, 0.1, 0.05, 0.025]
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler],
                 milestones: list[int], last_epoch: int = -1) -> None:
        _check_children(type(self).__name__, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one "
                             "more than the number of milestone points, but got number of "
                             f"schedulers {len(schedulers)} and the number of milestones to be "
                             f"equal to {len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # the children already stepped once on construction: undo that, restart the first
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self)
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def _undo_initial_steps(self, sched):
        if hasattr(sched, "_schedulers"):
            for s in sched._schedulers:
                self._undo_initial_steps(s)
        elif hasattr(sched, "last_epoch"):
            sched.last_epoch -= 1

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)  # a new phase starts at its own epoch 0
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Steps several schedulers of one optimizer together, so their effects multiply.

    Args:
        schedulers (list): the schedulers, all of one optimizer.
        optimizer (Optimizer, optional): that optimizer (taken from the first scheduler
            when omitted). Default: ``None``

    Example::

        >>> opt = optim.SGD([nn.Parameter(fastnn.zeros(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.ChainedScheduler([
        ...     optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2),
        ...     optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)])
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.05, 0.045, 0.081, 0.0729]
    """

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        optimizer = optimizer or schedulers[0].optimizer
        _check_children(type(self).__name__, optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = self._current_lrs()

    def step(self):
        for s in self._schedulers:
            s.step()
        self._last_lr = self._current_lrs()
