"""keras.regularizers: weight penalties added to the training loss (L1, L2, L1L2).

A layer given ``kernel_regularizer=`` / ``bias_regularizer=`` reports the penalties of
its weights in ``layer.losses``; fit and evaluate add their sum to the loss, so the
logged ``loss`` includes them, as in Keras.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize", "deserialize"]


class Regularizer:
    """The base class of weight penalties: ``reg(weight)`` is a scalar Tensor added to the
    loss. A subclass defines ``__call__`` and, if it takes arguments, ``get_config``."""

    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """A new regularizer from ``get_config()``'s dict."""
        return cls(**config)


class L1L2(Regularizer):
    """The penalty ``l1 * sum(|w|) + l2 * sum(w ** 2)``.

    Args:
        l1 (float): the L1 factor, >= 0. Default: 0.
        l2 (float): the L2 factor, >= 0. Default: 0.

    Example::

        >>> from fastnn import keras
        >>> keras.regularizers.L1L2(l1=0.1, l2=0.1)(fastnn.tensor([1.0, -2.0]))
        tensor(0.8000)
        >>> layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.01), input_shape=(3,))
        >>> len(layer.losses)  # fit adds this penalty to the loss
        1
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)
        if self.l1 < 0 or self.l2 < 0:
            raise ValueError(f"regularization factors must be >= 0, got l1={l1}, l2={l2}")

    def __call__(self, x: Tensor) -> Tensor:
        out = None
        if self.l1:
            out = x.abs().sum() * self.l1
        if self.l2:
            term = (x * x).sum() * self.l2
            out = term if out is None else out + term
        return out if out is not None else (x * 0).sum()

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """The penalty ``l1 * sum(|w|)``.

    Args:
        l1 (float): the factor, >= 0. Default: 0.01.

    Example::

        >>> from fastnn import keras
        >>> keras.regularizers.L1(0.1)(fastnn.tensor([1.0, -2.0]))
        tensor(0.3000)
    """

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    """The penalty ``l2 * sum(w ** 2)`` (weight decay through the loss).

    Args:
        l2 (float): the factor, >= 0. Default: 0.01.

    Example::

        >>> from fastnn import keras
        >>> keras.regularizers.L2(0.1)(fastnn.tensor([1.0, -2.0]))
        tensor(0.5000)
    """

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


l1, l2 = L1, L2


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """``L1L2(l1, l2)`` with Keras's defaults of 0.01 for both."""
    return L1L2(l1=l1, l2=l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: str | dict[str, Any] | Regularizer | Callable[..., Any] | None) -> Any:
    """The regularizer for a name (``"l1"``, ``"l2"``, ``"l1_l2"``, Keras's default factors),
    a serialized dict, or an object / callable / None (returned as is)."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("l1", "l2", "l1_l2"):
        makers: dict[str, Callable[[], Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": l1_l2}
        return makers[identifier.lower()]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown regularizer {identifier!r}; expected 'l1', 'l2', 'l1_l2' or a "
                     "keras.regularizers object")


def serialize(reg: Regularizer) -> dict[str, Any]:
    """``{"class_name": ..., "config": reg.get_config()}``, as ``Model.save`` stores it."""
    return {"class_name": type(reg).__name__, "config": reg.get_config()}


def deserialize(config: dict[str, Any]) -> Regularizer:
    """The regularizer that ``serialize`` described (L1, L2, L1L2)."""
    cls = _CLASSES.get(config.get("class_name", ""))
    if cls is None:
        raise ValueError(f"unknown regularizer class {config.get('class_name')!r}")
    return cls.from_config(config["config"])
