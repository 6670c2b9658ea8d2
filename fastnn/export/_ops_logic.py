"""C emitters for comparisons (eq, ne, lt, le, gt, ge), logical_and / or /
not, where, clamp, the rounding ops (sign, floor, ceil, round, trunc), casts,
floor_divide, remainder, gather, tri_mask (tril / triu), and the pure data
moves roll, diagonal, clone (templates/logic.c, templates/shape.c).

Bool and integer values are carried as float in C (true = 1.0f): exact for
integers below 2^24. A cast to an integer type truncates in C, one to bool
tests != 0; a cast to float32 (or between bool and integer types) copies
nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._ops_nn import op
from ._ops_shape import _contiguous, move
from ._program import ExportError

if TYPE_CHECKING:
    from ..graph.ir import Node, Value
    from ._program import Program

_COMPARE = {"eq": "T_EQ", "ne": "T_NE", "lt": "T_LT", "le": "T_LE", "gt": "T_GT", "ge": "T_GE",
            "logical_and": "T_AND", "logical_or": "T_OR"}
_DIVMOD = {"floor_divide": "T_FLOORDIV", "remainder": "T_REMAINDER"}
_ROUNDING = {"sign": "T_SIGN", "floor": "T_FLOOR", "ceil": "T_CEIL", "rint": "T_ROUND",
             "round": "T_ROUND", "around": "T_ROUND", "round_": "T_ROUND", "trunc": "T_TRUNC"}


def _operand(p: Program, node: Node, name: str, default: float | None = None
             ) -> tuple[str, list[int]]:
    """(pointer, shape) of argument ``name``: a graph value, or a number (or
    ``default`` when the argument is None) as a one-element constant."""
    v = node.input(name)
    if v is not None:
        return p.ptr(v), list(p.shape(v))
    val = node.attrs.get(name)
    if val is None:
        val = default
    if isinstance(val, (np.ndarray, list, tuple)):
        arr = np.asarray(val, np.float32)
        return p.array(f"{node.op}_{name}", arr), list(arr.shape)
    if isinstance(val, (bool, int, float, np.number)):
        return p.array("scalar", np.array([float(val)], np.float32)), []
    raise ExportError(f"{node.op}: argument {name}={val!r} is not a tensor or a number")


def _ternary(p: Program, code: str, y: Value, *operands: tuple[str, list[int]]) -> None:
    """One ``ternary`` call; fewer than three operands repeat the first."""
    ys = list(p.shape(y))
    if len(ys) > 8:
        raise ExportError("elementwise ops on more than 8 dims are not supported by the C export")
    ops = list(operands) + [operands[0]] * (3 - len(operands))
    args: list[str] = []
    for where, shape in ops:
        shape = [1] * (len(ys) - len(shape)) + shape
        strides, acc = [0] * len(ys), 1
        for d in range(len(ys) - 1, -1, -1):
            strides[d] = acc if shape[d] != 1 else 0
            acc *= shape[d]
        args += [where, p.ints(strides or [0])]
    p.call("ternary", code, *args, p.out(y), p.ints(ys or [1]), max(len(ys), 1))


def _bool_only(p: Program, node: Node) -> None:
    for n in ("self", "other"):
        v = node.input(n)
        if v is not None and v.dtype != np.bool_:
            raise ExportError(f"{node.op} on {v.dtype} (bitwise) is not supported by the C "
                              "export; only on bool")


@op(*_COMPARE)
def compare(p: Program, node: Node) -> None:
    if node.op.startswith("logical"):
        _bool_only(p, node)
    _ternary(p, _COMPARE[node.op], node.outputs[0], _operand(p, node, "self"),
             _operand(p, node, "other"))


@op(*_DIVMOD)
def divmod_(p: Program, node: Node) -> None:
    _ternary(p, _DIVMOD[node.op], node.outputs[0], _operand(p, node, "a"), _operand(p, node, "b"))


@op("logical_not")
def logical_not(p: Program, node: Node) -> None:
    _bool_only(p, node)
    _ternary(p, "T_NOT", node.outputs[0], _operand(p, node, "self"))


@op("where")
def where(p: Program, node: Node) -> None:
    _ternary(p, "T_WHERE", node.outputs[0], _operand(p, node, "cond"), _operand(p, node, "a"),
             _operand(p, node, "b"))


@op("clamp")
def clamp(p: Program, node: Node) -> None:
    _ternary(p, "T_CLAMP", node.outputs[0], _operand(p, node, "a"),
             _operand(p, node, "min", float("-inf")), _operand(p, node, "max", float("inf")))


@op("zero_grad")
def rounding(p: Program, node: Node) -> None:
    fn = getattr(node.attrs.get("fn"), "__name__", "")
    code = _ROUNDING.get(fn)
    if code is None:
        raise ExportError(f"{fn or node.attrs.get('fn')!r} (round with decimals?) is not "
                          "supported by the C export")
    _ternary(p, code, node.outputs[0], _operand(p, node, "a"))


@op("cast")
def cast(p: Program, node: Node) -> None:
    x, y = node.input("a"), node.outputs[0]
    src, dst = np.dtype(x.dtype), np.dtype(node.attrs["dtype"])
    if dst.kind == "f" and dst != np.float32:
        raise ExportError(f"cast to {dst}: the C export computes float32 only")
    if dst.kind not in "fbiu":
        raise ExportError(f"cast to {dst} is not supported by the C export")
    if dst == np.bool_ and src != np.bool_:
        _ternary(p, "T_BOOL", y, _operand(p, node, "a"))
    elif dst.kind in "iu" and src.kind == "f":
        if dst.kind == "u":
            raise ExportError(f"cast from float to {dst} (wrapping negative values) is not "
                              "supported by the C export")
        _ternary(p, "T_TRUNC", y, _operand(p, node, "a"))
    else:  # the values are the same floats: to float32, bool -> int, int -> int
        p.alias(y, x)


@op("tri_mask")
def tri_mask(p: Program, node: Node) -> None:
    """tril / triu: where(mask, x, 0) with the mask over the last two dims a constant."""
    x, y = node.input("a"), node.outputs[0]
    xs = p.shape(x)
    if len(xs) < 2:
        raise ExportError("tri_mask (tril / triu) needs at least 2 dims")
    ones = np.ones(xs[-2:], np.float32)
    d = int(node.attrs.get("diagonal", 0))
    mask = np.triu(ones, d) if node.attrs.get("upper") else np.tril(ones, d)
    _ternary(p, "T_WHERE", y, (p.array("tri_mask", mask), list(mask.shape)), (p.ptr(x), list(xs)),
             (p.array("scalar", np.zeros(1, np.float32)), []))


# these move elements only: the data movement emitter finds each a strided
# copy or a gather table
op("roll", "diagonal")(move)


@op("clone", "to_device")
def same(p: Program, node: Node) -> None:
    """A copy of a value no op writes again: the same storage."""
    p.alias(node.outputs[0], node.inputs[0])


@op("gather")
def gather(p: Program, node: Node) -> None:
    """PyTorch's gather: a constant index is a gather table (data movement);
    an index computed in the model is read at run time."""
    x, index, y = node.input("a"), node.input("index"), node.outputs[0]
    if index is None or index.kind == "const" or index.data is not None:
        move(p, node)
        return
    xs, shape = list(p.shape(x)), list(p.shape(index))
    if len(shape) > 8:
        raise ExportError("gather on more than 8 dims is not supported by the C export")
    axis = int(node.attrs["axis"]) % max(len(xs), 1)
    if xs[axis] > 2 ** 24:
        raise ExportError(f"gather: an index over {xs[axis]} elements is not exact in float32")
    p.call("gather_dim", p.ptr(x), p.ints(_contiguous(xs) or [0]), p.ptr(index), p.out(y),
           p.ints(shape or [1]), max(len(shape), 1), axis, xs[axis] if xs else 1)


@op("cross_entropy", "bce_with_logits")
def loss(p: Program, node: Node) -> None:
    raise ExportError(f"{node.op}: a loss is not supported by the C export; export the model "
                      "without it and compute the loss from its output")
