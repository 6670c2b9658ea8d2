"""keras.optimizers: Adam, AdamW, SGD, RMSprop, Adagrad with Keras 3's argument names,
defaults and update formulas.

A Keras optimizer is made without parameters (``Adam(learning_rate=1e-3)``) and is
built on the model's parameters the first time ``fit`` needs it. Where Keras's formula
is PyTorch's up to a constant, the update runs on fastnn's fused native step:

- Adam / AdamW: Keras adds epsilon to sqrt(v), PyTorch to sqrt(v / (1 - beta2^t));
  passing PyTorch's step eps / sqrt(1 - beta2^t) gives Keras's update exactly.
- SGD without momentum is the same formula.

SGD with momentum (Keras's velocity holds lr * grad, which differs from PyTorch's once
the learning rate changes), RMSprop and Adagrad (epsilon inside the square root) run
Keras's formulas as short NumPy loops (keras_steps.py).

The options every Keras optimizer has: ``weight_decay`` (decoupled, var -= lr * wd * var
before the step), ``clipnorm`` (per variable), ``global_clipnorm``, ``clipvalue``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import optim as _optim
from . import keras_steps, schedules

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..nn import Parameter

    #: a fixed rate, a keras.optimizers.schedules object, or fn(step) -> rate
    LearningRate = float | schedules.LearningRateSchedule | Callable[[int], float]

_NAME_COUNTS: dict[str, int] = {}


class Optimizer:
    """The base class of Keras optimizers: the options they share, a lazy
    ``build(params)``, and clipping and weight decay around each update.

    A subclass implements ``_make(params, lr)``, returning the fastnn.optim Optimizer
    that performs Keras's update. Made without parameters, an optimizer is built on
    the model's parameters by ``fit`` the first time it is needed (or by ``build``).

    Args:
        learning_rate (float, schedule or callable): the step size, or a
            ``keras.optimizers.schedules`` object (or ``fn(iteration)``) giving it per
            update. Default: 0.001.
        weight_decay (float, optional): decoupled decay, ``w -= lr * weight_decay * w``
            before each update. Default: None.
        clipnorm (float, optional): clip each gradient to this L2 norm. Default: None.
        clipvalue (float, optional): clip each gradient entry to ``[-clipvalue, clipvalue]``.
            Default: None.
        global_clipnorm (float, optional): clip all gradients together to this norm.
            Default: None (at most one of the three clips may be set).
        name (str, optional): the optimizer's name. Default: ``"optimizer"``.
        use_ema, loss_scale_factor, gradient_accumulation_steps: not supported.
        ema_momentum, ema_overwrite_frequency: accepted, no effect.

    Attributes:
        iterations (int): the number of updates done.
    """

    _default_name = "optimizer"

    def __init__(self, learning_rate: LearningRate = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        if use_ema or gradient_accumulation_steps or loss_scale_factor:
            raise NotImplementedError(f"{type(self).__name__}: use_ema, gradient_accumulation_steps "
                                      "and loss_scale_factor are not supported")
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self._schedule: Any = None
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._schedule = learning_rate  # the rate of each update is schedule(iterations)
            learning_rate = float(learning_rate(0))
        learning_rate = float(learning_rate)
        if learning_rate < 0:
            raise ValueError(f"learning_rate must be >= 0, got {learning_rate}")
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or self._default_name
        self.iterations = 0
        self._impl = None

    # --- building ---------------------------------------------------------------
    @property
    def built(self) -> bool:
        """Whether ``build`` has run."""
        return self._impl is not None

    def build(self, params: Iterable[Parameter]) -> Optimizer:
        """Create the update's state for ``params`` (fit calls this on first use).

        Args:
            params (iterable of Parameter): the weights to update, e.g. ``model.parameters()``.

        Returns:
            The optimizer itself.
        """
        self._impl = self._make(list(params), self._learning_rate)
        return self

    def _make(self, params, lr):
        raise NotImplementedError

    def _require_built(self):
        if self._impl is None:
            raise RuntimeError(f"{type(self).__name__} is not built yet: compile a model with it "
                               "and call fit, or call build(model.parameters())")
        return self._impl

    # --- the learning rate -------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The rate the next update will use (a schedule's value at ``iterations``); can be
        set unless it is a schedule."""
        if self._schedule is not None:  # Keras reports the rate the next update will use
            return float(self._schedule(self.iterations))
        if self._impl is not None:
            return float(self._impl.param_groups[0]["lr"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if self._schedule is not None:
            raise TypeError("this optimizer's learning rate is a schedule; it cannot be set")
        self._learning_rate = float(value)
        if self._impl is not None:
            for group in self._impl.param_groups:
                group["lr"] = float(value)

    lr = learning_rate  # the Keras 2 name

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """The built update's param groups (callbacks change ``group['lr']`` here)."""
        return self._require_built().param_groups

    # --- one training step ---------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of the parameters (as ``fastnn.optim.Optimizer.zero_grad``)."""
        self._require_built().zero_grad(set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update from the current gradients: the scheduled rate, clipping, weight
        decay, then Keras's update; ``iterations`` goes up by one.

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        impl = self._require_built()
        if self._schedule is not None:
            lr = float(self._schedule(self.iterations))
            for group in impl.param_groups:
                group["lr"] = lr
        params = [p for g in impl.param_groups for p in g["params"] if p.grad is not None]
        self._clip(params)
        if self.weight_decay:
            for group in impl.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p._data *= 1 - group["lr"] * self.weight_decay
        self._before_step(impl)
        loss = impl.step(closure)
        self.iterations += 1
        return loss

    def _before_step(self, impl):
        pass

    def _clip(self, params):
        if not params:
            return
        grads = [p.grad._data for p in params]
        if self.clipvalue is not None:
            for g in grads:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
        elif self.clipnorm is not None:
            for g in grads:
                norm = math.sqrt(float((g.astype(np.float64) ** 2).sum()))
                if norm > self.clipnorm:
                    g *= self.clipnorm / norm
        elif self.global_clipnorm is not None:
            norm = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
            if norm > self.global_clipnorm:
                for g in grads:
                    g *= self.global_clipnorm / norm

    def state_dict(self) -> dict[str, Any]:
        """The update's state (moments ...) and ``iterations``, for checkpoints."""
        return dict(self._require_built().state_dict(), iterations=self.iterations)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (the optimizer must be built)."""
        state = dict(state)
        self.iterations = int(state.pop("iterations", 0))
        self._require_built().load_state_dict(state)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (a schedule serialized), as ``Model.save`` stores them."""
        lr = schedules.serialize(self._schedule) \
            if isinstance(self._schedule, schedules.LearningRateSchedule) else self.learning_rate
        return {"name": self.name, "learning_rate": lr,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """A new optimizer from ``get_config()``'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"<keras.optimizers.{type(self).__name__} learning_rate={self.learning_rate}>"


class Adam(Optimizer):
    """Adam with Keras's formula: ``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m /
    (sqrt(v) + epsilon)``, run on fastnn's fused Adam step.

    Args:
        learning_rate (float or schedule): Default: 0.001.
        beta_1 (float): decay of the first moment ``m``. Default: 0.9.
        beta_2 (float): decay of the second moment ``v``. Default: 0.999.
        epsilon (float): added to ``sqrt(v)`` (Keras's place, not PyTorch's). Default: 1e-7.
        amsgrad (bool): use the running maximum of ``v``. Default: False.
        **kwargs: the options every optimizer takes (see :class:`Optimizer`).

    Example::

        >>> from fastnn import keras
        >>> w = nn.Parameter(fastnn.tensor([1.0, 2.0]))
        >>> opt = keras.optimizers.Adam(learning_rate=0.1).build([w])
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # gradient 2 * w
        ...     _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0.8004, 1.8002], requires_grad=True)
    """

    _default_name = "adam"

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _make(self, params, lr):
        return _optim.Adam(params, lr=lr, betas=(self.beta_1, self.beta_2), eps=self.epsilon,
                           amsgrad=self.amsgrad)

    def _before_step(self, impl):
        # Keras: lr * sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps); PyTorch divides by
        # sqrt(v) / sqrt(1-b2^t) + eps, so eps / sqrt(1-b2^t) makes the two equal.
        for group in impl.param_groups:
            t = next((impl.state[p]["step"] for p in group["params"] if impl.state.get(p)), 0) + 1
            group["eps"] = self.epsilon / math.sqrt(1 - self.beta_2 ** t)

    def get_config(self) -> dict[str, Any]:
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon, amsgrad=self.amsgrad)


class AdamW(Adam):
    """Adam with decoupled weight decay on by default (``w -= lr * weight_decay * w`` before
    each Adam update), as Keras's AdamW.

    Args:
        learning_rate (float or schedule): Default: 0.001.
        weight_decay (float): Default: 0.004 (Keras's).
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.
        **kwargs: the options every optimizer takes (see :class:`Optimizer`).

    Example::

        >>> from fastnn import keras
        >>> w = nn.Parameter(fastnn.tensor([1.0, 2.0]))
        >>> opt = keras.optimizers.AdamW(learning_rate=0.1).build([w])
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # gradient 2 * w
        ...     _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0.7997, 1.7986], requires_grad=True)
    """

    _default_name = "adamw"

    def __init__(self, learning_rate: LearningRate = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class SGD(Optimizer):
    """Gradient descent, with Keras's momentum: ``v = momentum * v - lr * g; w += v``
    (``w += momentum * v - lr * g`` with Nesterov).

    Without momentum it is fastnn.optim.SGD's step; with it, Keras's velocity holds
    ``lr * g`` (PyTorch's holds ``g``), which matters once the rate changes.

    Args:
        learning_rate (float or schedule): Default: 0.01.
        momentum (float): in [0, 1]. Default: 0.
        nesterov (bool): Nesterov momentum. Default: False.
        **kwargs: the options every optimizer takes (see :class:`Optimizer`).

    Example::

        >>> from fastnn import keras
        >>> w = nn.Parameter(fastnn.tensor([1.0, 2.0]))
        >>> opt = keras.optimizers.SGD(learning_rate=0.1).build([w])
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # gradient 2 * w
        ...     _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0.6400, 1.2800], requires_grad=True)
    """

    _default_name = "sgd"

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = momentum, nesterov

    def _make(self, params, lr):
        if self.momentum == 0:
            return _optim.SGD(params, lr=lr)
        return keras_steps.KerasSGD(params, lr=lr, momentum=self.momentum, nesterov=self.nesterov)

    def get_config(self) -> dict[str, Any]:
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)


class RMSprop(Optimizer):
    """RMSprop with Keras's formula: ``a = rho * a + (1 - rho) * g^2``,
    ``w -= lr * g / sqrt(a + epsilon)`` (epsilon inside the root, unlike PyTorch).

    Args:
        learning_rate (float or schedule): Default: 0.001.
        rho (float): decay of the mean square ``a``. Default: 0.9.
        momentum (float): momentum on the update. Default: 0.
        epsilon (float): Default: 1e-7.
        centered (bool): divide by the variance estimate ``a - mean(g)^2`` instead.
            Default: False.
        **kwargs: the options every optimizer takes (see :class:`Optimizer`).

    Example::

        >>> from fastnn import keras
        >>> w = nn.Parameter(fastnn.tensor([1.0, 2.0]))
        >>> opt = keras.optimizers.RMSprop(learning_rate=0.1).build([w])
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # gradient 2 * w
        ...     _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0.4989, 1.4739], requires_grad=True)
    """

    _default_name = "rmsprop"

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _make(self, params, lr):
        return keras_steps.KerasRMSprop(params, lr=lr, rho=self.rho, momentum=self.momentum,
                                        epsilon=self.epsilon, centered=self.centered)

    def get_config(self) -> dict[str, Any]:
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum,
                    epsilon=self.epsilon, centered=self.centered)


class Adagrad(Optimizer):
    """Adagrad with Keras's formula: ``a += g^2``, ``w -= lr * g / sqrt(a + epsilon)``.

    Args:
        learning_rate (float or schedule): Default: 0.001.
        initial_accumulator_value (float): the starting ``a``. Default: 0.1.
        epsilon (float): Default: 1e-7.
        **kwargs: the options every optimizer takes (see :class:`Optimizer`).

    Example::

        >>> from fastnn import keras
        >>> w = nn.Parameter(fastnn.tensor([1.0, 2.0]))
        >>> opt = keras.optimizers.Adagrad(learning_rate=0.1).build([w])
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()  # gradient 2 * w
        ...     _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0.8347, 1.8315], requires_grad=True)
    """

    _default_name = "adagrad"

    def __init__(self, learning_rate: LearningRate = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _make(self, params, lr):
        return keras_steps.KerasAdagrad(params, lr=lr, initial_accumulator_value=
                                        self.initial_accumulator_value, epsilon=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return dict(super().get_config(), initial_accumulator_value=self.initial_accumulator_value,
                    epsilon=self.epsilon)


_BY_NAME = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier: str | Optimizer | _optim.Optimizer) -> Optimizer | _optim.Optimizer:
    """A Keras optimizer for a name with Keras's defaults; optimizer objects (Keras or
    fastnn.optim) pass through.

    Args:
        identifier (str or optimizer): ``"adam"``, ``"adamw"``, ``"sgd"``, ``"rmsprop"``,
            ``"adagrad"`` (any case), or an optimizer.

    Example::

        >>> from fastnn import keras
        >>> keras.optimizers.get("adam")
        <keras.optimizers.Adam learning_rate=0.001>
    """
    if isinstance(identifier, (Optimizer, _optim.Optimizer)):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"compile: unknown optimizer {identifier!r}; expected one of "
                     f"{sorted(_BY_NAME)}, a keras.optimizers object or a fastnn.optim Optimizer")


def serialize(opt: Optimizer) -> dict[str, Any]:
    """``{"class_name": ..., "config": opt.get_config()}``, as ``Model.save`` stores it."""
    return {"class_name": type(opt).__name__, "config": opt.get_config()}


def deserialize(config: dict[str, Any]) -> Optimizer:
    """The optimizer that ``serialize`` described.

    Example::

        >>> from fastnn import keras
        >>> keras.optimizers.deserialize(keras.optimizers.serialize(keras.optimizers.SGD(0.5)))
        <keras.optimizers.SGD learning_rate=0.5>
    """
    classes = {c.__name__: c for c in (Adam, AdamW, SGD, RMSprop, Adagrad)}
    if config.get("class_name") not in classes:
        raise ValueError(f"unknown optimizer class {config.get('class_name')!r}")
    return classes[config["class_name"]].from_config(config["config"])


__all__ = ["Optimizer", "Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "get", "serialize",
           "deserialize"]
