"""How a Tensor prints (``repr(t)``), as PyTorch prints it; torch keeps this in torch/_tensor_str.py.

The options come from ``fastnn.set_printoptions`` (fastnn/_compat.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import _compat
from . import _device_move as _dm
from . import _promotion

if TYPE_CHECKING:
    from ._tensor import Tensor

_PLAIN_DTYPES = (np.dtype(np.int64), np.dtype(np.bool_))  # printed without dtype=


def _float_formatter(arr: np.ndarray) -> Callable[[float], str]:
    """PyTorch's choice of float format: integral values print as ``1.``; others
    with 4 decimals, or in scientific notation when the magnitudes span more
    than 1000x or leave [1e-4, 1e8]. Every element is padded to one width."""
    finite = arr[np.isfinite(arr)]
    nonzero = np.abs(finite[finite != 0])
    p = _compat.print_options["precision"]  # fastnn.set_printoptions
    sci = _compat.print_options["sci_mode"]
    if finite.size and np.all(finite == np.round(finite)) and not sci:
        fmt = f"{{:.{p}e}}" if nonzero.size and nonzero.max() > 1e8 and sci is None else "{:.0f}."
    elif sci or sci is None and nonzero.size and (
            nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        fmt = f"{{:.{p}e}}"
    else:
        fmt = f"{{:.{p}f}}"

    def one(v: float) -> str:
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return fmt.format(v)
    width = max((len(one(v)) for v in arr.reshape(-1)), default=0)
    return lambda v: one(v).rjust(width)


def _format_array(arr: np.ndarray) -> str:
    po = _compat.print_options
    opts: dict[str, Any] = dict(separator=", ", prefix="tensor(", threshold=po["threshold"],
                edgeitems=po["edgeitems"], max_line_width=po["linewidth"])
    if arr.dtype.kind == "f" and arr.size:
        formatter: Any = {"float_kind": _float_formatter(arr)}
        return np.array2string(arr, formatter=formatter, **opts)
    return np.array2string(arr, **opts)


def tensor_repr(t: Tensor) -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)``: the values, then what differs from a plain tensor."""
    body = _format_array(_dm.to_numpy(t._data))
    extras = []
    if t._data.dtype != _promotion._default_dtype and t._data.dtype not in _PLAIN_DTYPES:
        extras.append(f"dtype=fastnn.{t._data.dtype}")
    if not isinstance(t._data, np.ndarray):
        extras.insert(0, f"device='{t.device}'")
    if t._ctx is not None:
        extras.append(f"grad_fn=<{type(t._ctx).__name__}Backward0>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
