"""Checks of the 2-D pooling family and its saved context, PoolSaved.

Output sizes follow PyTorch's pooling_output_shape. Every backend's
max_pool2d / avg_pool2d forward calls check_pool2d, adaptive_avg_pool2d
check_output_size, and every backward check_pool_backward.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import INT_MAX, Memo, check_array, exact_int_pair, int_pair, is_int, plain_int_or_pair

__all__ = ["PoolSaved", "PoolWindow", "adaptive_pool_saved", "avg_pool_saved", "check_avg_pool2d",
           "check_count_include_pad", "check_divisor", "check_output_size", "check_pool2d",
           "check_pool_backward", "max_pool_saved", "pool_out_size", "window_of"]

_OPS = ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d")


class PoolWindow(NamedTuple):
    """The normalised window of a max or average pooling call, and its output size."""

    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool
    out_hw: tuple[int, int]


@dataclass(eq=False)
class PoolSaved:
    """What a pooling forward keeps for its backward, whichever backend ran.

    ``op`` names the forward; ``window`` is None for adaptive pooling;
    ``indices`` (max only) holds each output's flat argmax in its H*W plane;
    ``count_include_pad`` and ``divisor`` are avg_pool2d's.
    """

    __slots__ = ("op", "x_shape", "out_hw", "window", "indices", "count_include_pad", "divisor")
    op: str
    x_shape: tuple[int, int, int, int]
    out_hw: tuple[int, int]
    window: PoolWindow | None
    indices: Any
    count_include_pad: bool
    divisor: int | None


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape (floor division, ceil-mode correction)."""
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff + ((s - 1) if ceil_mode else 0)
    out = num // s + 1  # Python // floors, like PyTorch's div_rtn
    if ceil_mode and (out - 1) * s >= size + p:
        # the last window must start inside the input or the left padding
        out -= 1
    return out


def _check_input(x: Any) -> None:
    check_array("x", x, ndim=4)
    if x.shape[1] == 0 or x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"x: expected non-zero C, H and W (only the batch may be empty), "
                         f"got shape {tuple(x.shape)}")


def pool_window(op: str, hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int],
                p: tuple[int, int], d: tuple[int, int], ceil_mode: bool) -> PoolWindow:
    """The PoolWindow of normalised arguments on an (H, W) input (ValueError when it does not fit)."""
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"padding: must be at most half of kernel_size, got padding={p}, "
                         f"kernel_size={k}")
    H, W = hw
    oh = pool_out_size(H, k[0], s[0], p[0], d[0], ceil_mode)
    ow = pool_out_size(W, k[1], s[1], p[1], d[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise ValueError(f"kernel_size: {op} window (kernel_size={k}, dilation={d}) is larger "
                         f"than the padded input {(H + 2 * p[0], W + 2 * p[1])}; "
                         f"output size would be {(oh, ow)}")
    return PoolWindow(k, s, p, d, ceil_mode, (oh, ow))


_memo = Memo()


def check_pool2d(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: Any) -> PoolWindow:
    """Check a max_pool2d / avg_pool2d call (``op``) on x (N, C, H, W); returns its PoolWindow.

    ``stride`` None (or ()) means kernel_size, as in PyTorch. Calls with a
    plain ndarray and plain int / bool arguments are memoised.
    """
    if (type(x) is np.ndarray and plain_int_or_pair(kernel_size)
            and (stride is None or plain_int_or_pair(stride)) and plain_int_or_pair(padding)
            and plain_int_or_pair(dilation) and type(ceil_mode) is bool):
        key = (op, x.shape, x.dtype, kernel_size, stride, padding, dilation, ceil_mode)
        return _memo.get(key, lambda: _check_pool2d(op, x, kernel_size, stride, padding,
                                                    dilation, ceil_mode))
    return _check_pool2d(op, x, kernel_size, stride, padding, dilation, ceil_mode)


def _check_pool2d(op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                  ceil_mode: Any) -> PoolWindow:
    _check_input(x)
    k = int_pair("kernel_size", kernel_size, 1)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = int_pair("stride", stride, 1)
    p = int_pair("padding", padding, 0)
    d = int_pair("dilation", dilation, 1)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"ceil_mode: expected a bool, got {ceil_mode!r}")
    return pool_window(op, (x.shape[2], x.shape[3]), k, s, p, d, bool(ceil_mode))


def check_avg_pool2d(x: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: Any,
                     count_include_pad: Any,
                     divisor_override: Any) -> tuple[PoolWindow, bool, int | None]:
    """Check an avg_pool2d call; returns (window, count_include_pad, divisor or None)."""
    return (check_pool2d("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode),
            check_count_include_pad(count_include_pad), check_divisor(divisor_override))


def check_count_include_pad(count_include_pad: Any) -> bool:
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"count_include_pad: expected a bool, got {count_include_pad!r}")
    return bool(count_include_pad)


def check_divisor(divisor_override: Any) -> int | None:
    if divisor_override is None:
        return None
    if not is_int(divisor_override):
        raise TypeError(f"divisor_override: expected an int or None, got {divisor_override!r}")
    if divisor_override == 0:
        raise ValueError("divisor_override: must be non-zero")
    return int(divisor_override)


def check_output_size(x: Any, output_size: Any) -> tuple[int, int]:
    """Normalise adaptive pooling's output_size (int, pair, None entries keep the input size)."""
    _check_input(x)
    H, W = x.shape[2], x.shape[3]
    if output_size is None:
        return H, W
    if is_int(output_size):
        output_size = (output_size, output_size)
    try:
        vals = tuple(output_size)
    except TypeError:
        raise TypeError(f"output_size: expected an int or a pair, got {output_size!r}") from None
    if len(vals) != 2:
        raise ValueError(f"output_size: expected an int or a pair, got {output_size!r}")
    out = []
    for v, full in zip(vals, (H, W)):
        if v is None:
            out.append(full)
        elif not is_int(v):
            raise TypeError(f"output_size: expected ints or None, got {output_size!r}")
        elif v < 1:
            raise ValueError(f"output_size: every value must be >= 1, got {output_size!r}")
        elif v > INT_MAX:
            raise ValueError(f"output_size: every value must be <= {INT_MAX}, got {output_size!r}")
        else:
            out.append(int(v))
    return out[0], out[1]


def _exact_shape(v: Any) -> bool:
    """v is an (N, C, H, W) tuple of Python ints, C, H, W >= 1, each at most INT_MAX."""
    return (type(v) is tuple and len(v) == 4 and all(type(e) is int for e in v)
            and v[0] >= 0 and min(v[1:]) >= 1 and max(v) <= INT_MAX)


def _rederived(op: str, hw: tuple[int, int], win: PoolWindow) -> bool:
    """win (exact ints) is what check_pool2d derives for an (H, W) input from its own fields."""
    k, s, p, d = win[:4]
    if (min(k + s + d) < 1 or min(p) < 0 or max(k + s + p + d) > INT_MAX
            or (op == "avg_pool2d" and d != (1, 1))):
        return False
    try:
        return pool_window(op, hw, k, s, p, d, win.ceil_mode) == win
    except ValueError:
        return False


_saved_memo = Memo()


def _window_ok(saved: PoolSaved) -> bool:
    """saved.window is what the forward derives for saved.x_shape (and avg's fields are sane)."""
    win = saved.window
    if (type(win) is not PoolWindow or type(win.ceil_mode) is not bool
            or not all(exact_int_pair(v) for v in (win[:4] + (win.out_hw,)))
            or win.out_hw != saved.out_hw):
        return False
    if saved.op == "avg_pool2d":
        div = saved.divisor
        if type(saved.count_include_pad) is not bool or not (
                div is None or (type(div) is int and div != 0)):
            return False
    hw = (saved.x_shape[2], saved.x_shape[3])
    return _saved_memo.get((saved.op, hw, win), lambda: _rederived(saved.op, hw, win))


def check_pool_backward(op: str, dy: Any, saved: Any,
                        array_type: Any = np.ndarray) -> PoolSaved:
    """Check the backward of ``op``: saved is the PoolSaved of an ``op`` forward whose
    geometry belongs to its input shape, dy has its output's shape. Returns saved."""
    if not isinstance(saved, PoolSaved) or saved.op != op or op not in _OPS:
        raise TypeError(f"saved: expected the PoolSaved returned by {op}_forward")
    shape, out = saved.x_shape, saved.out_hw
    if not _exact_shape(shape) or not exact_int_pair(out) or min(out) < 1 or max(out) > INT_MAX:
        raise TypeError(f"saved: expected the PoolSaved returned by {op}_forward")
    if op != "adaptive_avg_pool2d" and not _window_ok(saved):
        raise TypeError(f"saved: expected the PoolSaved returned by {op}_forward")
    if op == "max_pool2d":
        idx = saved.indices
        if (not isinstance(idx, array_type) or idx.dtype != np.int64
                or tuple(idx.shape) != shape[:2] + out):
            raise TypeError("saved: indices must be the int64 index array from max_pool2d_forward")
    check_array("dy", dy, ndim=4)
    if tuple(dy.shape) != shape[:2] + out:
        raise ValueError(f"dy: expected shape {shape[:2] + out}, got {tuple(dy.shape)}")
    return saved


def window_of(saved: PoolSaved) -> PoolWindow:
    """saved.window of a max or average pooling context (after check_pool_backward)."""
    if saved.window is None:
        raise TypeError(f"saved: expected the PoolSaved returned by {saved.op}_forward")
    return saved.window


def max_pool_saved(x_shape: tuple[int, ...], window: PoolWindow, indices: Any) -> PoolSaved:
    return PoolSaved("max_pool2d", x_shape, window.out_hw, window,  # type: ignore[arg-type]
                     indices, False, None)


def avg_pool_saved(x_shape: tuple[int, ...], window: PoolWindow, count_include_pad: bool,
                   divisor: int | None) -> PoolSaved:
    return PoolSaved("avg_pool2d", x_shape, window.out_hw, window,  # type: ignore[arg-type]
                     None, count_include_pad, divisor)


def adaptive_pool_saved(x_shape: tuple[int, ...], out_hw: tuple[int, int]) -> PoolSaved:
    return PoolSaved("adaptive_avg_pool2d", x_shape, out_hw, None,  # type: ignore[arg-type]
                     None, False, None)
