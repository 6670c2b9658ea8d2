"""Small PyTorch names that scripts call in passing: Size, isclose, print options,
and the process-wide switches (deterministic algorithms, float32 matmul precision).

fastnn's kernels are deterministic and compute float32 products in float32, so
the switches are recorded and reported back without changing any result.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Optional

import numpy as np

if TYPE_CHECKING:
    from ._tensor import Tensor

__all__ = ["Size", "isclose", "set_printoptions", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]

_settings: dict[str, Any] = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


class Size(tuple):
    """torch.Size: a tuple of ints (``Tensor.shape`` is a plain tuple in fastnn)."""

    def __new__(cls, sizes: Iterable[Any] = ()) -> Size:
        return super().__new__(cls, (int(s) for s in sizes))

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64)) if self else 1

    def __repr__(self) -> str:
        return f"fastnn.Size({list(self)})"


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|``, a bool Tensor.

    Args:
        input (Tensor): the first tensor.
        other (Tensor or Number): the second (broadcast).
        rtol (float): the relative tolerance. Default: 1e-05.
        atol (float): the absolute tolerance. Default: 1e-08.
        equal_nan (bool): NaN equals NaN. Default: False.

    Example::

        >>> fastnn.isclose(fastnn.tensor([1.0, 2.0]), fastnn.tensor([1.0 + 1e-9, 2.1]))
        tensor([ True, False])
    """
    from ._tensor import Tensor, _raw
    a, b = _raw(input), _raw(other)
    xp: Any = np
    if not isinstance(a, np.ndarray) and hasattr(a, "__cuda_array_interface__"):
        import cupy
        xp = cupy
    return Tensor._wrap(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    _settings["deterministic"] = bool(mode)
    _settings["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _settings["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: precision must be 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["matmul_precision"]


_PRINT_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                   "sci_mode": None}
_PROFILES = {"default": _PRINT_DEFAULTS,
             "short": dict(_PRINT_DEFAULTS, precision=2, edgeitems=2),
             "full": dict(_PRINT_DEFAULTS, threshold=2 ** 63 - 1)}
print_options = dict(_PRINT_DEFAULTS)  # read by Tensor.__repr__ (fastnn/_tensor_str.py)


def set_printoptions(precision: Optional[int] = None, threshold: Optional[int] = None,
                     edgeitems: Optional[int] = None, linewidth: Optional[int] = None,
                     profile: Optional[str] = None, sci_mode: Optional[bool] = None) -> None:
    """How tensors print, as torch.set_printoptions: a profile first, then the given options.

    Args:
        precision (int, optional): digits after the point. Default: 4.
        threshold (int, optional): more elements than this print summarized. Default: 1000.
        edgeitems (int, optional): items shown at each end when summarized. Default: 3.
        linewidth (int, optional): characters per line. Default: 80.
        profile (str, optional): 'default', 'short' or 'full' (never summarize).
        sci_mode (bool, optional): force scientific notation on (True) or off (False);
            None chooses per tensor. Default: None.

    Example::

        >>> fastnn.set_printoptions(precision=2)
        >>> fastnn.tensor([1.23456])
        tensor([1.23])
        >>> fastnn.set_printoptions(profile="default")
        >>> fastnn.tensor([1.23456])
        tensor([1.2346])
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        print_options.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"set_printoptions: {name} must be a non-negative int, "
                                 f"got {value!r}")
            print_options[name] = value
    print_options["sci_mode"] = None if sci_mode is None else bool(sci_mode)
