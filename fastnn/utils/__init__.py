"""fastnn.utils: data loading (``fastnn.utils.data``)."""
from . import data  # noqa: F401

__all__ = ["data"]
