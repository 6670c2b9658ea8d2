"""keras.backend: the few backend helpers scripts call (clear_session, epsilon, floatx,
image_data_format)."""
from __future__ import annotations

from . import metrics as _metrics

__all__ = ["clear_session", "epsilon", "floatx", "image_data_format", "backend"]


def clear_session():
    """Forget the automatic names handed out so far (the next Dense is ``dense`` again)."""
    _metrics._NAME_COUNTS.clear()


def epsilon():
    return 1e-7


def floatx():
    return "float32"


def image_data_format():
    return "channels_last"


def backend():
    return "fastnn"
