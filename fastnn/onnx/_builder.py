"""The ONNX graph under construction: names, initializers and small helpers that
the per-family converters (_ops_*.py) share.

Each converter reads one fastnn.graph Node and emits ONNX nodes through
``Builder.emit``. Sizes that follow a symbolic dim (a ``Sym``) become small
shape computations on the graph input that carries that dim (Shape -> Gather
-> Mul/Add), so a file exported with a dynamic batch runs at any batch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from ..graph.ir import Sym, has_sym

if TYPE_CHECKING:
    from typing import Any, Callable

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min
CONVERTERS: dict[str, Callable[..., Any]] = {}


def converts(*ops):
    """Register a converter ``fn(builder, node)`` for the fastnn.graph ops named."""
    def deco(fn):
        for op in ops:
            CONVERTERS[op] = fn
        return fn
    return deco


class ExportError(ValueError):
    """A graph that ONNX export cannot write (the message names the op and why)."""


def onnx_dtype(dtype):
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class Builder:
    def __init__(self, graph, opset):
        self.graph = graph
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self.names = {}        # id(Value) -> ONNX name
        self.taken = set()
        self._consts = {}      # cache key -> initializer name
        self._dims = {}        # dim name -> ONNX name of a [1] int64 tensor
        self.used = set()      # id(Value) of every Value some node or output reads
        for n in graph.nodes:
            self.used.update(id(v) for v in n.inputs)
        self.used.update(id(v) for v in graph.outputs)

    # --- names ---------------------------------------------------------------------------
    def fresh(self, hint):
        name = hint
        k = 0
        while name in self.taken:
            k += 1
            name = f"{hint}_{k}"
        self.taken.add(name)
        return name

    def assign(self, value, name):
        self.names[id(value)] = self.fresh(name)
        return self.names[id(value)]

    def name(self, value):
        """The ONNX name of a Value (assigned on first use)."""
        n = self.names.get(id(value))
        return n if n is not None else self.assign(value, value.name)

    def out(self, node, i=0):
        return self.name(node.outputs[i])

    def is_used(self, value):
        return id(value) in self.used

    # --- emitting ----------------------------------------------------------------------------
    def emit(self, op_type, inputs, outputs=None, n_out=1, hint=None, **attrs):
        """Append one ONNX node; returns its output name (or names when n_out > 1)."""
        if outputs is None:
            outputs = [self.fresh(f"{hint or op_type}_out") for _ in range(n_out)]
        elif isinstance(outputs, str):
            outputs = [outputs]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs),
                                           name=self.fresh(f"{op_type}_{len(self.nodes)}"),
                                           **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def initializer(self, array, hint):
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def const(self, array, dtype=None, hint="const"):
        """An initializer holding ``array`` (cached by value)."""
        a = np.asarray(array, dtype=dtype)
        key = (a.dtype.str, a.shape, a.tobytes())
        if key not in self._consts:
            self._consts[key] = self.initializer(a, hint)
        return self._consts[key]

    def ints(self, values, hint="ints"):
        """A 1-D int64 tensor of ``values`` (ints or Syms)."""
        values = list(values)
        if not has_sym(values):
            return self.const(np.array(values, dtype=np.int64), hint=hint)
        parts = [self.sym(v) if isinstance(v, Sym) else self.const(np.array([v], np.int64))
                 for v in values]
        return parts[0] if len(parts) == 1 else self.emit("Concat", parts, axis=0, hint=hint)

    def dim(self, name):
        """A [1] int64 tensor holding the size of symbolic dim ``name``, read from the input."""
        if name not in self._dims:
            i, axis = self.graph.dims[name][0]
            shape = self.emit("Shape", [self.name(self.graph.inputs[i])], hint=f"shape_{name}")
            self._dims[name] = self.emit("Gather", [shape, self.const(np.array([axis], np.int64))],
                                         axis=0, hint=f"dim_{name}")
        return self._dims[name]

    def sym(self, s):
        """A [1] int64 tensor holding the value of the Sym ``s``."""
        out = None
        for n in s.names:
            d = self.dim(n)
            out = d if out is None else self.emit("Mul", [out, d])
        if s.coef != 1:
            out = self.emit("Mul", [out, self.const(np.array([s.coef], np.int64))])
        if s.offset:
            out = self.emit("Add", [out, self.const(np.array([s.offset], np.int64))])
        return out

    def scalar(self, value, dtype, hint="scalar"):
        """A 0-d tensor of ``dtype`` holding a Python number or a Sym."""
        if isinstance(value, Sym):
            v = self.emit("Reshape", [self.sym(value), self.const(np.array([], np.int64))])
            return v if np.dtype(dtype) == np.int64 else self.emit("Cast", [v], to=onnx_dtype(dtype))
        return self.const(np.array(value, dtype=dtype), hint=hint)

    def operand(self, node, arg, dtype):
        """Argument ``arg`` of ``node`` as an ONNX name of ``dtype``: a Value (cast when
        its dtype differs) or a Python number made a constant."""
        v = node.input(arg)
        if v is None:
            return self.scalar(node.attrs[arg], dtype)
        name = self.name(v)
        if v.dtype != np.dtype(dtype):
            name = self.emit("Cast", [name], to=onnx_dtype(dtype))
        return name

    def static(self, shape, what):
        """``shape`` as ints, or an ExportError naming ``what`` needs static sizes."""
        if has_sym(shape):
            raise ExportError(f"{what} needs static sizes here, got {shape}")
        return tuple(int(s) for s in shape)

    def reduce(self, op_type, x, axes, keepdims, out=None):
        """Reduce* with ``axes`` as an input (opset 18+, ReduceSum 13+) or an attribute."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.emit(op_type, [x, self.ints(axes)], out, keepdims=int(keepdims))
        return self.emit(op_type, [x], out, axes=axes, keepdims=int(keepdims))


def tup(v, n):
    """An int or a sequence as a tuple of n ints."""
    if isinstance(v, (tuple, list)):
        return tuple(int(x) for x in v)
    return (int(v),) * n


__all__ = ["Builder", "CONVERTERS", "converts", "ExportError", "onnx_dtype", "tup",
           "INT64_MAX", "INT64_MIN", "TensorProto"]
