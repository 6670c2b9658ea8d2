"""C emitters for the reductions: sum, mean, prod, var, std, norm, logsumexp,
amax/amin, max/min (over everything, or along a dim with indices),
argmax/argmin, and cumsum (templates/reduce.c).

The kernel sees the input as [outer][n][inner], n being the reduced axes.
Reduced axes that are not adjacent are first permuted to the end by one
strided copy into scratch. Results that are indices are floats in C (exact
below 2^24, checked here).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ._ops_nn import _f, op
from ._ops_shape import _contiguous
from ._program import ExportError

if TYPE_CHECKING:
    from ..graph.ir import Node, Value
    from ._program import Program

_EXACT = 2 ** 24  # float32 holds every integer up to here

_CODES = {"sum": "R_SUM", "mean": "R_MEAN", "prod": "R_PROD", "var": "R_VAR", "std": "R_STD",
          "logsumexp": "R_LOGSUMEXP", "argmax": "R_ARGMAX", "argmin": "R_ARGMIN"}
_NORMS = {1.0: "R_NORM1", 2.0: "R_NORM2", float("inf"): "R_NORMINF",
          float("-inf"): "R_NORMNEGINF", 0.0: "R_NORM0"}


def _axes(attr: int | Sequence[int] | None, ndim: int) -> list[int]:
    """The reduced axes, non-negative and sorted (None: all)."""
    if attr is None:
        return list(range(ndim))
    axes = [int(attr)] if isinstance(attr, (int, np.integer)) else [int(a) for a in attr]
    n = max(ndim, 1)
    return sorted({a % n for a in axes}) if ndim else []


def _view(p: Program, x: Value, axes: list[int]) -> tuple[str, int, int, int]:
    """(pointer, outer, n, inner) with ``axes`` as the middle block, copying
    the input to scratch when the axes are not adjacent."""
    xs = list(p.shape(x))
    n = int(np.prod([xs[a] for a in axes], dtype=np.int64))
    if n == 0:
        raise ExportError("a reduction over an empty dim is not supported by the C export")
    if not axes or axes == list(range(axes[0], axes[-1] + 1)):
        outer = int(np.prod(xs[:axes[0]] if axes else xs, dtype=np.int64))
        inner = int(np.prod(xs[axes[-1] + 1:], dtype=np.int64)) if axes else 1
        return p.ptr(x), outer, n, inner
    if len(xs) > 8:
        raise ExportError("a reduction over more than 8 dims is not supported by the C export")
    kept = [d for d in range(len(xs)) if d not in axes]
    perm = kept + axes
    src = _contiguous(xs)
    shape = [xs[d] for d in perm]
    tmp = p.scratch(p.size(x))
    p.call("copy_strided", p.ptr(x), p.ints([src[d] for d in perm]), tmp,
           p.ints(_contiguous(shape)), p.ints(shape), len(shape))
    return tmp, p.size(x) // n, n, 1


def _emit(p: Program, code: str, x: Value, y: Value, axes: list[int], a: float = 0.0) -> None:
    where, outer, n, inner = _view(p, x, axes)
    if code in ("R_ARGMAX", "R_ARGMIN") and n > _EXACT:
        raise ExportError(f"an index over {n} elements is not exact in float32 (2^24 at most)")
    p.call("reduce", code, where, p.out(y), outer, n, inner, _f(a))


@op("sum", "mean", "var", "std")
def reduce_axes(p: Program, node: Node) -> None:
    x, y = node.input("a"), node.outputs[0]
    axes = _axes(node.attrs.get("axes"), len(p.shape(x)))
    a = 0.0
    if node.op in ("var", "std"):
        n = int(np.prod([p.shape(x)[d] for d in axes], dtype=np.int64))
        a = max(n - float(node.attrs.get("correction", 1)), 0.0)
    if not axes:  # a 0-d input: the sum / mean is the value itself
        if node.op in ("sum", "mean"):
            p.alias(y, x)
            return
    _emit(p, _CODES[node.op], x, y, axes, a)


@op("prod")
def prod(p: Program, node: Node) -> None:
    x = node.input("a")
    axis = node.attrs.get("axis")
    _emit(p, "R_PROD", x, node.outputs[0], _axes(axis, len(p.shape(x))))


@op("norm")
def norm(p: Program, node: Node) -> None:
    x = node.input("a")
    order = float(node.attrs.get("p", 2.0))
    code = _NORMS.get(order, "R_NORMP")
    _emit(p, code, x, node.outputs[0], _axes(node.attrs.get("axes"), len(p.shape(x))), order)


@op("logsumexp")
def logsumexp(p: Program, node: Node) -> None:
    x = node.input("self")
    _emit(p, "R_LOGSUMEXP", x, node.outputs[0], _axes(node.attrs.get("dim"), len(p.shape(x))))


@op("amax_amin", "extreme")
def amax_amin(p: Program, node: Node) -> None:
    x = node.input("a")
    axes = _axes(node.attrs.get("axes"), len(p.shape(x)))
    _emit(p, "R_MAX" if node.attrs["is_max"] else "R_MIN", x, node.outputs[0], axes)


@op("argmax", "argmin")
def argmax(p: Program, node: Node) -> None:
    x = node.input("self")
    _emit(p, _CODES[node.op], x, node.outputs[0], _axes(node.attrs.get("dim"), len(p.shape(x))))


@op("max_dim", "min_dim")
def max_dim(p: Program, node: Node) -> None:
    """(values, indices) along one dim; the indices only when something reads them."""
    x = node.input("self")
    axes = _axes(node.attrs["dim"], len(p.shape(x)))
    is_max = node.op == "max_dim"
    _emit(p, "R_MAX" if is_max else "R_MIN", x, node.outputs[0], axes)
    if len(node.outputs) > 1 and id(node.outputs[1]) in p.last_use:
        _emit(p, "R_ARGMAX" if is_max else "R_ARGMIN", x, node.outputs[1], axes)


@op("cumsum")
def cumsum(p: Program, node: Node) -> None:
    x, y = node.inputs[0], node.outputs[0]
    xs = p.shape(x)
    axis = int(node.attrs["axis"]) % max(len(xs), 1)
    if not xs:
        p.alias(y, x)
        return
    p.call("cumsum", p.ptr(x), p.out(y), int(np.prod(xs[:axis], dtype=np.int64)), xs[axis],
           int(np.prod(xs[axis + 1:], dtype=np.int64)))
