"""Shared pieces of the ONNX operator files: the registry, node facts, and the
small conversions every operator needs (ONNX int lists, axes, constants)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..._tensor import Tensor

if TYPE_CHECKING:
    from typing import Any, Callable

OPS: dict[str, Callable[..., Any]] = {}  # op_type -> fn(node, inputs, attrs)
CHECKS: dict[str, Callable[..., Any]] = {}  # op_type -> check(attrs, opset, node), run at load time


class NodeInfo:
    """What an operator may need to know about the node it runs for."""

    __slots__ = ("op_type", "name", "index", "opset", "n_outputs", "module")

    def __init__(self, op_type, name, index, opset, n_outputs, module=None):
        self.op_type, self.name, self.index = op_type, name, index
        self.opset, self.n_outputs, self.module = opset, n_outputs, module

    @property
    def training(self):
        return bool(self.module is not None and self.module.training)

    def __str__(self):
        label = f"{self.name!r}" if self.name else "(unnamed)"
        return f"node {self.index} {label} ({self.op_type})"


def register(*op_types, check=None):
    def deco(fn):
        for t in op_types:
            OPS[t] = fn
            if check is not None:
                CHECKS[t] = check
        return fn
    return deco


def unsupported(node_desc, what):
    return NotImplementedError(f"ONNX import: {node_desc}: {what}")


def arr(t):
    """The NumPy array behind a Tensor (or an array-like)."""
    if isinstance(t, Tensor):
        return np.asarray(t._data)
    return np.asarray(t)


def ints(t):
    """A shape-like input (1-D int tensor) as a list of Python ints."""
    return [int(v) for v in arr(t).reshape(-1)]


def const(a, dtype=None):
    """A constant Tensor (no gradient) around a NumPy array or scalar."""
    a = np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    return Tensor._wrap(a)


def is_float(t):
    return arr_dtype(t).kind == "f"


def arr_dtype(t):
    return t._data.dtype if isinstance(t, Tensor) else np.asarray(t).dtype


def norm_axis(axis, ndim, node=None):
    a = int(axis)
    if not -ndim <= a < max(ndim, 1):
        raise ValueError(f"ONNX import: {node or ''}: axis {axis} out of range for a "
                         f"{ndim}-D input")
    return a + ndim if a < 0 else a


def axes_arg(node, inputs, attrs, input_index, since):
    """Axes given by attribute (before opset ``since``) or by optional input."""
    if node.opset >= since and len(inputs) > input_index and inputs[input_index] is not None:
        return ints(inputs[input_index])
    if "axes" in attrs:
        return [int(a) for a in attrs["axes"]]
    return None


def spatial_pads(attrs, nsp):
    """ONNX pads [b1, b2, ..., e1, e2, ...] as a list of (begin, end) per spatial dim."""
    p = [int(v) for v in attrs.get("pads", [0] * (2 * nsp))]
    if len(p) != 2 * nsp:
        raise ValueError(f"ONNX import: pads must have {2 * nsp} values, got {p}")
    return [(p[i], p[i + nsp]) for i in range(nsp)]


def auto_pads(mode, in_sizes, kernel, strides, dilations):
    """(begin, end) padding per dim for auto_pad SAME_UPPER / SAME_LOWER / VALID."""
    out = []
    for n, k, s, d in zip(in_sizes, kernel, strides, dilations):
        if mode == "VALID":
            out.append((0, 0))
            continue
        target = -(-n // s)
        total = max(0, (target - 1) * s + (k - 1) * d + 1 - n)
        small, big = total // 2, total - total // 2
        out.append((small, big) if mode == "SAME_UPPER" else (big, small))
    return out


AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def auto_pad_of(attrs):
    v = attrs.get("auto_pad", "NOTSET")
    return v.decode() if isinstance(v, bytes) else v


def check_auto_pad(attrs, opset, node):
    mode = auto_pad_of(attrs)
    if mode not in AUTO_PADS:
        raise unsupported(node, f"auto_pad={mode!r} is not supported (expected one of {AUTO_PADS})")


def as_str(v):
    return v.decode() if isinstance(v, bytes) else v
