"""autocast: PyTorch's autocast regions, recorded but computed at full precision."""
from __future__ import annotations

import functools
import warnings

_DEVICE_TYPES = ("cpu", "cuda", "xpu", "mps", "hpu", "xla", "mtia", "meta")
_state: dict[str, bool] = {}          # device_type -> enabled flag of the innermost region
_warned = [False]


def is_autocast_available(device_type):
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type="cuda"):
    return bool(_state.get(device_type, False))


class autocast:
    """``with autocast(device_type, dtype=None, enabled=True, cache_enabled=None):``"""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: device_type must be a str such as 'cpu' or 'cuda', "
                             f"got {type(device_type).__name__}")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"autocast: unsupported device_type {device_type!r}; expected "
                               f"one of {_DEVICE_TYPES}")
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: enabled must be a bool, got {type(enabled).__name__}")
        self.device, self.fast_dtype = device_type, dtype
        self._enabled, self._cache_enabled = enabled, cache_enabled
        self._prev = []

    def __enter__(self):
        if self._enabled and not _warned[0]:
            _warned[0] = True
            warnings.warn("fastnn: autocast regions compute at the inputs' own precision "
                          "(fastnn has no float16/bfloat16 kernels); results are float32's",
                          stacklevel=2)
        self._prev.append(_state.get(self.device, False))
        _state[self.device] = self._enabled
        return self

    def __exit__(self, *exc):
        _state[self.device] = self._prev.pop()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return wrapper
