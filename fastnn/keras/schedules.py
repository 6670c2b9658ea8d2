"""keras.optimizers.schedules: learning rates as functions of the optimizer's step count.

Pass one as ``learning_rate=``: before each update the optimizer sets its rate to
``schedule(iterations)`` (iterations counts the updates done so far), as Keras does.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
           "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts"]


class LearningRateSchedule:
    """The base class of learning-rate schedules: ``schedule(step)`` is the rate of the
    update after ``step`` updates (from 0).

    A subclass defines ``__call__(step)``; ``get_config`` returns its attributes (the
    constructor arguments), which ``Model.save`` stores.

    Example::

        >>> from fastnn import keras
        >>> class Halving(keras.optimizers.schedules.LearningRateSchedule):
        ...     def __init__(self, initial):
        ...         self.initial = initial
        ...     def __call__(self, step):
        ...         return self.initial / 2 ** step
        >>> opt = keras.optimizers.SGD(learning_rate=Halving(0.4))
        >>> opt.learning_rate, Halving(0.4)(2), Halving(0.4).get_config()
        (0.4, 0.1, {'initial': 0.4})
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (the schedule's attributes)."""
        return {k: v for k, v in vars(self).items()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """A new schedule from ``get_config()``'s dict."""
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate (float): the rate at step 0.
        decay_steps (int): the steps over which the rate is multiplied by ``decay_rate``, > 0.
        decay_rate (float): the factor per ``decay_steps``.
        staircase (bool): floor ``step / decay_steps`` (decay in jumps). Default: False.
        name (str, optional): accepted for Keras compatibility.

    Example::

        >>> from fastnn import keras
        >>> schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> [round(schedule(step), 6) for step in (0, 10, 20)]
        [0.1, 0.05, 0.025]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        if decay_steps <= 0:
            raise ValueError(f"ExponentialDecay: decay_steps must be > 0, got {decay_steps}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.decay_rate, self.staircase = float(decay_rate), staircase

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps: ``values[0]`` up to and including
    ``boundaries[0]``, ``values[1]`` up to ``boundaries[1]``, ..., ``values[-1]`` after.

    Args:
        boundaries (list of int): the increasing steps where the rate changes.
        values (list of float): one more rate than boundaries.
        name (str, optional): accepted for Keras compatibility.

    Example::

        >>> from fastnn import keras
        >>> schedule = keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
        >>> [round(schedule(step), 6) for step in (0, 10, 11, 25)]
        [0.1, 0.1, 0.01, 0.001]
    """

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str | None = None) -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: values must have one more entry than boundaries")
        self.boundaries, self.values = list(boundaries), list(values)

    def __call__(self, step: int) -> float:
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return float(v)
        return float(self.values[-1])


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, then ``end``.

    Args:
        initial_learning_rate (float): the rate at step 0.
        decay_steps (int): the steps to reach ``end_learning_rate``.
        end_learning_rate (float): the final rate. Default: 0.0001.
        power (float): the polynomial's power (1 is linear). Default: 1.
        cycle (bool): instead of staying at the end, restart with ``decay_steps`` grown to
            the next multiple that ``step`` has not reached. Default: False.
        name (str, optional): accepted for Keras compatibility.

    Example::

        >>> from fastnn import keras
        >>> schedule = keras.optimizers.schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
        >>> [round(schedule(step), 6) for step in (0, 5, 10, 20)]
        [0.1, 0.05, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.end_learning_rate, self.power, self.cycle = float(end_learning_rate), power, cycle

    def __call__(self, step: float) -> float:
        steps: float = self.decay_steps
        if self.cycle:
            steps = steps * max(1.0, math.ceil(step / steps))
        else:
            step = min(step, steps)
        frac = 1 - step / steps
        return (self.initial_learning_rate - self.end_learning_rate) * frac ** self.power \
            + self.end_learning_rate


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate (float): the rate at step 0.
        decay_steps (int): the step scale.
        decay_rate (float): how fast the rate falls.
        staircase (bool): floor ``step / decay_steps``. Default: False.
        name (str, optional): accepted for Keras compatibility.

    Example::

        >>> from fastnn import keras
        >>> schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=1.0)
        >>> [round(schedule(step), 6) for step in (0, 10, 30)]
        [0.1, 0.05, 0.025]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None) -> None:
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.decay_rate, self.staircase = float(decay_rate), staircase

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        return self.initial_learning_rate / (1 + self.decay_rate * (math.floor(p) if self.staircase else p))


class CosineDecay(LearningRateSchedule):
    """A cosine from the top rate down to ``alpha`` times it over ``decay_steps``, after an
    optional linear warm-up.

    With ``warmup_target`` the rate climbs linearly from ``initial_learning_rate`` to it
    over ``warmup_steps``, and the cosine starts from ``warmup_target``; without it there
    is no warm-up (``warmup_steps`` is ignored, as in Keras).

    Args:
        initial_learning_rate (float): the rate at step 0.
        decay_steps (int): the length of the cosine.
        alpha (float): the final rate as a fraction of the top one. Default: 0.
        name (str, optional): accepted for Keras compatibility.
        warmup_target (float, optional): the rate reached after the warm-up. Default: None.
        warmup_steps (int): the warm-up's length. Default: 0.

    Example::

        >>> from fastnn import keras
        >>> schedule = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=5)
        >>> [round(schedule(step), 6) for step in (0, 5, 10, 15)]
        [0.0, 0.1, 0.05, 0.0]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str | None = None, warmup_target: float | None = None, warmup_steps: int = 0) -> None:
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), decay_steps
        self.alpha, self.warmup_target, self.warmup_steps = float(alpha), warmup_target, warmup_steps

    def __call__(self, step: int) -> float:
        top = self.initial_learning_rate if self.warmup_target is None else float(self.warmup_target)
        if self.warmup_target is not None and step < self.warmup_steps:
            return self.initial_learning_rate + (top - self.initial_learning_rate) * step / self.warmup_steps
        # Keras warms up (and shifts the cosine by warmup_steps) only when warmup_target is set
        start = self.warmup_steps if self.warmup_target is not None else 0
        s = min(step - start, self.decay_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * s / self.decay_steps))
        return top * ((1 - self.alpha) * cosine + self.alpha)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): a cosine over ``first_decay_steps``, then
    again from the top, each period ``t_mul`` times longer and ``m_mul`` times lower.

    Args:
        initial_learning_rate (float): the rate at step 0.
        first_decay_steps (int): the first period's length.
        t_mul (float): each period's length over the previous one's. Default: 2.
        m_mul (float): each period's top rate over the previous one's. Default: 1.
        alpha (float): the lowest rate as a fraction of the initial one. Default: 0.
        name (str, optional): accepted for Keras compatibility.

    Example::

        >>> from fastnn import keras
        >>> schedule = keras.optimizers.schedules.CosineDecayRestarts(0.1, first_decay_steps=10)
        >>> [round(schedule(step), 6) for step in (0, 5, 10, 20, 30)]
        [0.1, 0.05, 0.1, 0.05, 0.1]
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str | None = None) -> None:
        self.initial_learning_rate, self.first_decay_steps = float(initial_learning_rate), first_decay_steps
        self.t_mul, self.m_mul, self.alpha = float(t_mul), float(m_mul), float(alpha)

    def __call__(self, step: int) -> float:
        frac = step / self.first_decay_steps
        if self.t_mul == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1 - frac * (1 - self.t_mul)) / math.log(self.t_mul))
            done = (1 - self.t_mul ** i) / (1 - self.t_mul)
            frac = (frac - done) / self.t_mul ** i
        cosine = 0.5 * self.m_mul ** i * (1 + math.cos(math.pi * frac))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


_CLASSES = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                    InverseTimeDecay, CosineDecay, CosineDecayRestarts)}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """``{"class_name": ..., "config": schedule.get_config()}``, as ``Model.save`` stores it."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict[str, Any]) -> LearningRateSchedule:
    """The schedule that ``serialize`` described (the built-in classes only)."""
    cls = _CLASSES.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"unknown learning-rate schedule {config.get('class_name')!r}")
    return cls.from_config(config["config"])
