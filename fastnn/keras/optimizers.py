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

import numpy as np

from .. import optim as _optim
from . import keras_steps, schedules

_NAME_COUNTS: dict[str, int] = {}


class Optimizer:
    """Base class: options, lazy ``build(params)``, clipping and weight decay around the step."""

    _default_name = "optimizer"

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        if use_ema or gradient_accumulation_steps or loss_scale_factor:
            raise NotImplementedError(f"{type(self).__name__}: use_ema, gradient_accumulation_steps "
                                      "and loss_scale_factor are not supported")
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self._schedule = None
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
    def built(self):
        return self._impl is not None

    def build(self, params):
        """Create the update's state for ``params`` (fit calls this on first use)."""
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
    def learning_rate(self):
        if self._schedule is not None:  # Keras reports the rate the next update will use
            return float(self._schedule(self.iterations))
        if self._impl is not None:
            return float(self._impl.param_groups[0]["lr"])
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if self._schedule is not None:
            raise TypeError("this optimizer's learning rate is a schedule; it cannot be set")
        self._learning_rate = float(value)
        if self._impl is not None:
            for group in self._impl.param_groups:
                group["lr"] = float(value)

    lr = learning_rate  # the Keras 2 name

    @property
    def param_groups(self):
        """The built update's param groups (callbacks change ``group['lr']`` here)."""
        return self._require_built().param_groups

    # --- one training step ---------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        self._require_built().zero_grad(set_to_none)

    def step(self, closure=None):
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

    def state_dict(self):
        return dict(self._require_built().state_dict(), iterations=self.iterations)

    def load_state_dict(self, state):
        state = dict(state)
        self.iterations = int(state.pop("iterations", 0))
        self._require_built().load_state_dict(state)

    def get_config(self):
        lr = schedules.serialize(self._schedule) \
            if isinstance(self._schedule, schedules.LearningRateSchedule) else self.learning_rate
        return {"name": self.name, "learning_rate": lr,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"<keras.optimizers.{type(self).__name__} learning_rate={self.learning_rate}>"


class Adam(Optimizer):
    _default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 **kwargs):
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

    def get_config(self):
        return dict(super().get_config(), beta_1=self.beta_1, beta_2=self.beta_2,
                    epsilon=self.epsilon, amsgrad=self.amsgrad)


class AdamW(Adam):
    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class SGD(Optimizer):
    _default_name = "sgd"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum, self.nesterov = momentum, nesterov

    def _make(self, params, lr):
        if self.momentum == 0:
            return _optim.SGD(params, lr=lr)
        return keras_steps.KerasSGD(params, lr=lr, momentum=self.momentum, nesterov=self.nesterov)

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)


class RMSprop(Optimizer):
    _default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _make(self, params, lr):
        return keras_steps.KerasRMSprop(params, lr=lr, rho=self.rho, momentum=self.momentum,
                                        epsilon=self.epsilon, centered=self.centered)

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum,
                    epsilon=self.epsilon, centered=self.centered)


class Adagrad(Optimizer):
    _default_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _make(self, params, lr):
        return keras_steps.KerasAdagrad(params, lr=lr, initial_accumulator_value=
                                        self.initial_accumulator_value, epsilon=self.epsilon)

    def get_config(self):
        return dict(super().get_config(), initial_accumulator_value=self.initial_accumulator_value,
                    epsilon=self.epsilon)


_BY_NAME = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(identifier):
    """A Keras optimizer for a name ('adam', ...) with Keras's defaults; objects pass through."""
    if isinstance(identifier, (Optimizer, _optim.Optimizer)):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"compile: unknown optimizer {identifier!r}; expected one of "
                     f"{sorted(_BY_NAME)}, a keras.optimizers object or a fastnn.optim Optimizer")


def serialize(opt):
    return {"class_name": type(opt).__name__, "config": opt.get_config()}


def deserialize(config):
    classes = {c.__name__: c for c in (Adam, AdamW, SGD, RMSprop, Adagrad)}
    if config.get("class_name") not in classes:
        raise ValueError(f"unknown optimizer class {config.get('class_name')!r}")
    return classes[config["class_name"]].from_config(config["config"])


__all__ = ["Optimizer", "Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "get", "serialize",
           "deserialize"]
