"""keras.regularizers: weight penalties added to the training loss (L1, L2, L1L2).

A layer given ``kernel_regularizer=`` / ``bias_regularizer=`` reports the penalties of
its weights in ``layer.losses``; fit and evaluate add their sum to the loss, so the
logged ``loss`` includes them, as in Keras.
"""
from __future__ import annotations

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize", "deserialize"]


class Regularizer:
    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|w|) + l2 * sum(w^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)
        if self.l1 < 0 or self.l2 < 0:
            raise ValueError(f"regularization factors must be >= 0, got l1={l1}, l2={l2}")

    def __call__(self, x):
        out = None
        if self.l1:
            out = x.abs().sum() * self.l1
        if self.l2:
            term = (x * x).sum() * self.l2
            out = term if out is None else out + term
        return out if out is not None else (x * 0).sum()

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


l1, l2 = L1, L2


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1=l1, l2=l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("l1", "l2", "l1_l2"):
        return {"l1": L1, "l2": L2, "l1_l2": l1_l2}[identifier.lower()]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown regularizer {identifier!r}; expected 'l1', 'l2', 'l1_l2' or a "
                     "keras.regularizers object")


def serialize(reg):
    return {"class_name": type(reg).__name__, "config": reg.get_config()}


def deserialize(config):
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown regularizer class {config.get('class_name')!r}")
    return cls.from_config(config["config"])
