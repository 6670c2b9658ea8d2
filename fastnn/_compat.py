"""Small PyTorch names that scripts call in passing: Size, isclose, print options,
and the process-wide switches (deterministic algorithms, float32 matmul precision).

fastnn's kernels are deterministic and compute float32 products in float32, so
the switches are recorded and reported back without changing any result.
"""
import numpy as np

__all__ = ["Size", "isclose", "set_printoptions", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]

_settings = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


class Size(tuple):
    """torch.Size: a tuple of ints (``Tensor.shape`` is a plain tuple in fastnn)."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(s) for s in sizes))

    def numel(self):
        return int(np.prod(self, dtype=np.int64)) if self else 1

    def __repr__(self):
        return f"fastnn.Size({list(self)})"


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |input - other| <= atol + rtol * |other|, a bool Tensor."""
    from ._tensor import Tensor, _raw
    a, b = _raw(input), _raw(other)
    xp = np if isinstance(a, np.ndarray) or not hasattr(a, "__cuda_array_interface__") else None
    if xp is None:
        import cupy as xp
    return Tensor._wrap(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def use_deterministic_algorithms(mode, *, warn_only=False):
    _settings["deterministic"] = bool(mode)
    _settings["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _settings["warn_only"]


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: precision must be 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _settings["matmul_precision"]


_PRINT_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                   "sci_mode": None}
_PROFILES = {"default": _PRINT_DEFAULTS,
             "short": dict(_PRINT_DEFAULTS, precision=2, edgeitems=2),
             "full": dict(_PRINT_DEFAULTS, threshold=2 ** 63 - 1)}
print_options = dict(_PRINT_DEFAULTS)  # read by Tensor.__repr__ (fastnn/_tensor.py)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print, as torch.set_printoptions: a profile ('default', 'short',
    'full') first, then the given options; sci_mode None chooses per tensor."""
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
