"""The captured-graph IR: Values (typed, shaped), Nodes (one op each), a Graph.

A Graph is a model's forward as a straight list of ops in the order they ran
(topological order, single static assignment: every Value is written once).
Ops sit at the level of fastnn's kernels -- ``linear``, ``conv2d``, ``lstm``,
``relu``, ``reshape`` -- with their arguments spelled out as attributes, so
ONNX export, ``fastnn.compile`` and the C export each read one list.

A dimension is an ``int`` or a :class:`Sym`: a size that follows one or more
named input dimensions (the symbolic batch ``N``, say), written
``coef * N * ... + offset``. Attributes hold Syms too where an op's argument
followed the batch (``x.reshape(x.shape[0], -1)`` records ``shape=(N, 64)``).
"""
import numbers

import numpy as np

__all__ = ["Sym", "Value", "Node", "Graph", "resolve"]


class Sym:
    """``coef * prod(names) + offset``: a size that follows named input dims."""

    __slots__ = ("coef", "names", "offset")

    def __init__(self, names, coef=1, offset=0):
        self.names = tuple(names) if not isinstance(names, str) else (names,)
        self.coef = int(coef)
        self.offset = int(offset)

    def eval(self, dims):
        """The size, given ``dims`` (name -> int)."""
        v = self.coef
        for n in self.names:
            v *= dims[n]
        return v + self.offset

    def __eq__(self, other):
        return (isinstance(other, Sym) and self.names == other.names and self.coef == other.coef
                and self.offset == other.offset)

    def __hash__(self):
        return hash((self.names, self.coef, self.offset))

    def __repr__(self):
        s = "*".join(self.names)
        if self.coef != 1:
            s = f"{self.coef}*{s}"
        if self.offset:
            s += f"{self.offset:+d}"
        return s


def resolve(obj, dims):
    """``obj`` (an attribute or a shape) with every Sym replaced by its size."""
    if isinstance(obj, Sym):
        return obj.eval(dims)
    if isinstance(obj, tuple):
        return tuple(resolve(o, dims) for o in obj)
    if isinstance(obj, list):
        return [resolve(o, dims) for o in obj]
    if isinstance(obj, slice):
        return slice(resolve(obj.start, dims), resolve(obj.stop, dims), resolve(obj.step, dims))
    return obj


def has_sym(obj):
    if isinstance(obj, Sym):
        return True
    if isinstance(obj, (tuple, list)):
        return any(has_sym(o) for o in obj)
    if isinstance(obj, slice):
        return has_sym(obj.start) or has_sym(obj.stop) or has_sym(obj.step)
    return False


class Value:
    """One tensor of the graph.

    kind: 'input' | 'param' | 'buffer' | 'const' | 'node' (an op's output).
    ``name`` is the input's name, the parameter's or buffer's ``state_dict``
    name, or a fresh ``t<i>`` / ``const<i>``. ``data`` holds a constant's array.
    """

    __slots__ = ("name", "shape", "dtype", "kind", "producer", "data")

    def __init__(self, name, shape, dtype, kind, producer=None, data=None):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.kind = kind
        self.producer = producer
        self.data = data

    def type_str(self):
        return f"{self.dtype}[{', '.join(str(d) for d in self.shape)}]"

    def __repr__(self):
        return f"<Value {self.name}: {self.type_str()} ({self.kind})>"


class Node:
    """One op: ``outputs = op(inputs, **attrs)``.

    ``inputs`` are Values (tensor arguments, in order; ``arg_names`` says which
    argument of the op each one is); ``attrs`` the other arguments by name.
    ``impl`` is the callable that computes it (a ``Function`` class's ``apply``
    or a Tensor method), used by :meth:`Graph.run`.
    """

    __slots__ = ("op", "inputs", "arg_names", "attrs", "outputs", "impl", "signature")

    def __init__(self, op, inputs, arg_names, attrs, outputs, impl, signature):
        self.op = op
        self.inputs = list(inputs)
        self.arg_names = list(arg_names)
        self.attrs = dict(attrs)
        self.outputs = list(outputs)
        self.impl = impl
        self.signature = signature  # ((name, 'pos' | 'var' | 'kw'), ...) of impl's arguments

    def input(self, name):
        """The Value passed as argument ``name``, or None."""
        for n, v in zip(self.arg_names, self.inputs):
            if n == name:
                return v
        return None

    def call_args(self, lookup, dims):
        """(args, kwargs) to call ``impl`` with: Values through ``lookup``,
        attributes with Syms resolved through ``dims``."""
        args, kwargs = [], {}
        by_name = {}
        for n, v in zip(self.arg_names, self.inputs):
            by_name.setdefault(n, []).append(v)
        for name, kind in self.signature:
            if kind == "var":
                args.extend(lookup(v) for v in by_name.get(name, ()))
                continue
            if name in by_name:
                val = lookup(by_name[name][0])
            else:
                val = resolve(self.attrs.get(name), dims)
            if kind == "kw":
                kwargs[name] = val
            else:
                args.append(val)
        return args, kwargs

    def __str__(self):
        outs = ", ".join(f"{o.name}: {o.type_str()}" for o in self.outputs)
        ins = [v.name for v in self.inputs]
        hidden = _IMPLIED.get(self.op, ())
        ins += [f"{k}={_fmt(v)}" for k, v in self.attrs.items() if v is not None and k not in hidden]
        return f"{outs} = {self.op}({', '.join(ins)})"


# attributes that the op's name already says, left out when printing
_IMPLIED = {"conv1d": ("nd",), "conv2d": ("nd",), "lstm": ("kind", "nonlinearity"),
            "gru": ("kind", "nonlinearity"), "rnn": ("kind",)}


def _fmt(v):
    if isinstance(v, np.ndarray):
        return f"array{list(v.shape)}"
    if isinstance(v, np.dtype):
        return str(v)
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, slice):
        parts = ["" if p is None else _fmt(p) for p in (v.start, v.stop, v.step)]
        return ":".join(parts[:2] if v.step is None else parts)
    if v is Ellipsis:
        return "..."
    if callable(v):
        return getattr(v, "__name__", repr(v))
    return repr(v) if not isinstance(v, numbers.Integral) else str(v)


class Graph:
    """A captured forward (see the module docstring).

    inputs, outputs:  Values in order (``output_tree`` gives back the nesting the
                      model returned, e.g. ``(out, (h, c))``)
    nodes:            the ops, in the order they ran
    params, buffers:  name -> Value; ``tensors`` name -> the live Tensor
    constants:        Values whose ``data`` is a baked array
    dims:             symbolic name -> [(input index, axis)] where it is read
    """

    def __init__(self):
        self.inputs = []
        self.outputs = []
        self.output_tree = 0
        self.nodes = []
        self.params = {}
        self.buffers = {}
        self.tensors = {}
        self.constants = []
        self.dims = {}

    # --- reading --------------------------------------------------------------------
    def values(self):
        """Every Value: inputs, parameters, buffers, constants, then op outputs."""
        seen = list(self.inputs) + list(self.params.values()) + list(self.buffers.values())
        seen += list(self.constants)
        for n in self.nodes:
            seen += n.outputs
        return seen

    def users(self, value):
        return [n for n in self.nodes if any(v is value for v in n.inputs)]

    def prune(self):
        """Drop the ops whose results nothing uses (an RNN's unread final states, say),
        then the parameters and constants no op reads; number op results t0, t1, ..."""
        live = {id(v) for v in self.outputs}
        kept = []
        for node in reversed(self.nodes):
            if any(id(o) in live for o in node.outputs):
                kept.append(node)
                live.update(id(v) for v in node.inputs)
        self.nodes = kept[::-1]
        for group in (self.params, self.buffers):
            for name in [n for n, v in group.items() if id(v) not in live]:
                del group[name]
                del self.tensors[name]
        self.constants = [c for c in self.constants if id(c) in live]
        k = 0
        for node in self.nodes:
            for v in node.outputs:
                if v.name.startswith("t") and v.name[1:].isdigit():
                    v.name = f"t{k}"
                    k += 1
        return self

    def bind_dims(self, shapes):
        """name -> size of each symbolic dim, read from the inputs' ``shapes``;
        checks every static input dim against the traced one."""
        if len(shapes) != len(self.inputs):
            raise TypeError(f"graph takes {len(self.inputs)} inputs, got {len(shapes)}")
        dims = {}
        for v, shape in zip(self.inputs, shapes):
            if len(shape) != len(v.shape):
                raise ValueError(f"input {v.name!r}: expected {len(v.shape)} dims "
                                 f"{v.type_str()}, got shape {tuple(shape)}")
            for d, s in zip(v.shape, shape):
                if isinstance(d, Sym):
                    if d.names[0] in dims and dims[d.names[0]] != s:
                        raise ValueError(f"input {v.name!r}: dim {d} is {s} here but "
                                         f"{dims[d.names[0]]} in another input")
                    dims[d.names[0]] = s
                elif d != s:
                    raise ValueError(f"input {v.name!r}: expected shape {v.type_str()} "
                                     f"(only the symbolic dims may change), got {tuple(shape)}")
        return dims

    def run(self, *inputs):
        """Compute the graph on ``inputs`` (Tensors or arrays) with fastnn's ops."""
        from .interpreter import run
        return run(self, inputs)

    __call__ = run

    def __str__(self):
        lines = []
        ins = ", ".join(f"{v.name}: {v.type_str()}" for v in self.inputs)
        lines.append(f"graph({ins}):")
        for title, group in (("parameters", self.params), ("buffers", self.buffers)):
            if group:
                lines.append(f"  # {title}: " + ", ".join(
                    f"{v.name} {v.type_str()}" for v in group.values()))
        if self.constants:
            lines.append("  # constants: " + ", ".join(
                f"{v.name} {v.type_str()}" for v in self.constants))
        for n in self.nodes:
            lines.append("  " + str(n))
        lines.append("  return " + ", ".join(v.name for v in self.outputs))
        return "\n".join(lines)

    def __repr__(self):
        return (f"<Graph: {len(self.inputs)} inputs, {len(self.nodes)} ops, "
                f"{len(self.params)} parameters, {len(self.outputs)} outputs>")
