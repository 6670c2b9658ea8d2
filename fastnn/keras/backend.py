"""keras.backend: the few backend helpers scripts call (clear_session, epsilon, floatx,
image_data_format)."""
from __future__ import annotations

from . import metrics as _metrics

__all__ = ["clear_session", "epsilon", "floatx", "image_data_format", "backend"]


def clear_session() -> None:
    """Forget the automatic names handed out so far (the next Dense is ``dense`` again).

    Example::

        >>> from fastnn import keras
        >>> keras.backend.clear_session()
        >>> keras.layers.Dense(2).name, keras.layers.Dense(2).name
        ('dense', 'dense_1')
    """
    _metrics._NAME_COUNTS.clear()


def epsilon() -> float:
    """The small constant Keras adds for stability (clipping probabilities): 1e-7."""
    return 1e-7


def floatx() -> str:
    """The default float type of weights: ``"float32"``."""
    return "float32"


def image_data_format() -> str:
    """The default image layout of the layers: ``"channels_last"``."""
    return "channels_last"


def backend() -> str:
    """The engine under the Keras front end: ``"fastnn"``."""
    return "fastnn"
