"""Small helpers shared by the op modules."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..backends import get_backend

if TYPE_CHECKING:
    from typing import Any, Callable

_kernels: dict[tuple[object, str], Callable[..., Any] | None] = {}


def kernel(x, name):
    """The backend kernel ``name`` for array ``x``, or None if that backend lacks it
    (cached: this runs on every op call)."""
    be = get_backend(x)
    key = (be, name)
    try:
        return _kernels[key]
    except KeyError:
        pass
    try:
        fn = getattr(be, name)
    except AttributeError:
        fn = None
    _kernels[key] = fn
    return fn


def sum_to(g, shape, dtype):
    """Reduce a broadcast gradient ``g`` back to ``shape`` and cast it to ``dtype``."""
    if g.shape != shape:
        lead = g.ndim - len(shape)
        if lead:
            g = g.sum(axis=tuple(range(lead)))
        axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def norm_dims(dim, ndim, name="dim"):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes (None -> all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    out = []
    n = max(ndim, 1)
    for d in dim:
        d = int(d)
        if d < -n or d >= n:
            raise IndexError(f"{name}: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        out.append(d % n if ndim else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{name}: dim {tuple(dim)} appears multiple times in the list of dims")
    return tuple(sorted(out))


def norm_dim(dim, ndim, name="dim"):
    n = max(ndim, 1)
    d = int(dim)
    if d < -n or d >= n:
        raise IndexError(f"{name}: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {d})")
    return d % n


def expand_reduced(g, shape, axes, keepdim):
    """Broadcast the gradient of a reduction over ``axes`` back to ``shape``."""
    if not keepdim and axes:
        g = g.reshape([1 if i in axes else s for i, s in enumerate(shape)]) if len(shape) else g
    return np.broadcast_to(g, shape)


# --- float16 through the float32 kernels ------------------------------------------------
# The kernels take float32 and float64. float16 inputs of the ops PyTorch's CPU path
# computes in half (conv, linear, matmul, pooling, softmax, cross_entropy, relu) are
# widened to float32 (exact), computed there, and the results rounded once to
# float16, as PyTorch does: its CPU kernels accumulate half in float. Gradients take
# the same way back. Mixed float16 / other inputs are left to the kernels' dtype check.
F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def half_in(*arrays):
    """``(arrays, True)`` with float16 ones widened when the first is float16 and every
    other given array too; else ``(arrays, False)`` unchanged."""
    if getattr(arrays[0], "dtype", None) != F16:
        return arrays, False
    if any(a is not None and a.dtype != F16 for a in arrays[1:]):
        return arrays, False
    return tuple(None if a is None else a.astype(_F32) for a in arrays), True


def half_out(half, *arrays):
    """Round float32 results back to float16 when ``half``; integer ones pass."""
    if not half:
        return arrays if len(arrays) > 1 else arrays[0]
    out = tuple(a.astype(F16) if a is not None and a.dtype == _F32 else a for a in arrays)
    return out if len(out) > 1 else out[0]
