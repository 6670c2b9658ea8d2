"""C emitter for einsum (one or two operands): one ``contract`` loop nest over
the letters of the equation (templates/contract.c). matmul is
_ops_layers.py's, on gemm_nn."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..ops.indexing import parse_einsum
from ._ops_nn import op
from ._ops_shape import _contiguous
from ._program import ExportError

if TYPE_CHECKING:
    from ..graph.ir import Node
    from ._program import Program

_MAX_LETTERS = 16


def _contract(p: Program, node: Node, ptrs: list[str], subs: list[str],
              shapes: list[Sequence[int]], out: str) -> None:
    """``y[out] = sum over the other letters of prod(operand[sub])``, one or two operands."""
    letters = list(out) + sorted({c for s in subs for c in s} - set(out))
    if len(letters) > _MAX_LETTERS:
        raise ExportError(f"{node.op}: more than {_MAX_LETTERS} letters are not supported by "
                          "the C export")
    size = {c: 1 for c in letters}
    for sub, shape in zip(subs, shapes):
        for c, n in zip(sub, shape):
            if n != 1:
                if size[c] not in (1, n):
                    raise ExportError(f"{node.op}: letter {c!r} has sizes {size[c]} and {n}")
                size[c] = n
    args: list[str] = []
    for ptr, sub, shape in zip(ptrs, subs, shapes):
        st = _contiguous(shape)
        per = [0] * len(letters)
        for c, n, s in zip(sub, shape, st):
            if n != 1:  # a size-1 axis broadcasts: stride 0
                per[letters.index(c)] += s
        args += [ptr, p.ints(per or [0])]
    if len(ptrs) == 1:  # one operand: times a constant 1
        args += [p.array("one", np.ones(1, np.float32)), p.ints([0] * max(len(letters), 1))]
    p.call("contract", *args, p.out(node.outputs[0]), p.ints([size[c] for c in letters] or [1]),
           len(letters), len(out))


@op("einsum")
def einsum(p: Program, node: Node) -> None:
    eq = node.attrs["equation"]
    if len(node.inputs) not in (1, 2):
        raise ExportError(f"einsum {eq!r}: only one or two operands are supported by the C "
                          "export")
    shapes = [p.shape(v) for v in node.inputs]
    subs, out = parse_einsum(eq, shapes)
    _contract(p, node, [p.ptr(v) for v in node.inputs], subs, shapes, out)

