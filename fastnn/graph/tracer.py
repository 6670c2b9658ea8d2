"""trace(model, args): run a forward once and record every op it calls as a Graph.

Where it listens. Every differentiable op in fastnn is a ``Function`` whose
``apply`` unwraps Tensors, calls one kernel and wraps the result; while a trace
runs, ``apply`` hands each call to the recorder here (``function._trace_hook``),
which notes the op, its tensor arguments (as Values) and its other arguments
(as attributes), then runs it. A handful of Tensor methods compute without a
Function (comparisons, argmax, max/min over a dim): the trace wraps those for
its duration and records them the same way. Nothing is recorded at module
level, so any forward is captured -- a Sequential, or
``out, _ = self.lstm(x); return self.fc(out[:, -1])`` -- as kernel-level ops.

What it cannot see. Python runs the forward; the trace records the ops that
ran on these inputs. An ``if`` on a tensor's value, a loop whose length comes
from the data, a value read out with ``.item()`` / ``float()`` / ``.numpy()``
is baked in as it fell this time. Those reads warn (``TracerWarning``; an error
with ``strict=True``). A probe run on other values (each input reversed) then
checks the capture: different ops warn that the path depends on the data, and
a constant that changed (an array computed from the data with NumPy) is a
``TraceError``, as is a recorded value that changed afterwards without an op
(an in-place op under ``no_grad``). Branches on shapes are fine for static
dims; for a symbolic dim the trace is run again with that dim doubled, and it
raises ``TraceError`` if that run took a different path.

Symbolic dims. ``dynamic_axes`` (default: axis 0 of every input, named ``N``)
names the input axes whose size may change. For each name the forward runs
again with that axis doubled (the inputs concatenated with their own reverse);
every size and integer argument that changed becomes a ``Sym`` (``N``,
``4*N``, ``N-1``), constants made inside the forward that grew with it
(``zeros(L, N, H)`` for an RNN's first state) become ``full`` ops, and anything
else that changed is an error rather than a silently fixed graph.
"""
from __future__ import annotations

import inspect
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ..autograd import function as _function
from ..autograd import grad_mode
from .._tensor import Tensor, tensor
from ._errors import TraceError, TracerWarning
from ._probe import probe
from ._symbolic import merge
from .ir import Graph, Node, Sym, Value

if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["trace", "TraceError", "TracerWarning"]


# op names that differ from the Function class name in snake case
_OP_NAMES = {"BCEWithLogits": "bce_with_logits", "GetItem": "getitem", "IndexPut": "index_put",
             "_ToDevice": "to_device", "SwapAxes": "transpose", "AmaxAmin": "amax_amin",
             "MatMul": "matmul"}
_SIGNATURES: dict[tuple[Callable[..., Any], bool], tuple[tuple[tuple[str, str], ...], inspect.Signature]] = {}


def _snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def op_name(cls, attrs):
    """The IR op name of a Function class called with ``attrs``."""
    name = cls.__name__
    if name == "Conv":
        return f"conv{attrs.get('nd', 2)}d"
    if name == "Recurrent":
        return attrs.get("kind", "lstm")
    return _OP_NAMES.get(name) or _snake(name)


def signature_of(fn, skip_self):
    """((name, 'pos' | 'var' | 'kw'), ...) of ``fn``'s arguments, and its Signature."""
    key = (fn, skip_self)
    if key not in _SIGNATURES:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if skip_self:
            params = params[1:]
            sig = sig.replace(parameters=params)
        kinds = {inspect.Parameter.VAR_POSITIONAL: "var", inspect.Parameter.KEYWORD_ONLY: "kw",
                 inspect.Parameter.VAR_KEYWORD: "kw"}
        layout = tuple((p.name, kinds.get(p.kind, "pos")) for p in params)
        _SIGNATURES[key] = (layout, sig)
    return _SIGNATURES[key]


class _Recorder:
    """One run of the forward, recorded into a Graph with concrete sizes."""

    def __init__(self, named, strict):
        self.graph = Graph()
        self.by_array = {}       # id(array) -> Value (arrays are kept alive in self.keep)
        self.keep = []
        self.named = named       # id(array) -> (state_dict name, 'param' | 'buffer', Tensor)
        self.strict = strict
        self.count = 0
        self.snapshots = []      # (array, its copy, Value): to find changes no op recorded

    # --- values -------------------------------------------------------------------------
    def _remember(self, arr, value):
        self.by_array[id(arr)] = value
        self.keep.append(arr)

    def lookup(self, obj):
        """The Value of a Tensor or array argument (a param, a traced value or a new constant)."""
        arr = obj._data if isinstance(obj, Tensor) else obj
        v = self.by_array.get(id(arr))
        if v is not None:
            return v
        g = self.graph
        if id(arr) in self.named:
            name, kind, t = self.named[id(arr)]
            v = Value(name, arr.shape, arr.dtype, kind)
            (g.params if kind == "param" else g.buffers)[name] = v
            g.tensors[name] = t
        else:
            if not isinstance(arr, np.ndarray):
                arr = np.asarray(arr)
            v = Value(f"const{len(g.constants)}", arr.shape, arr.dtype, "const",
                      data=np.array(arr, copy=True))
            g.constants.append(v)
        self._remember(arr, v)
        return v

    def add_input(self, t, name):
        v = Value(name, t._data.shape, t._data.dtype, "input")
        self.graph.inputs.append(v)
        self._remember(t._data, v)
        self.snapshots.append((t._data, t._data.copy(), v))

    def is_traced(self, t):
        v = self.by_array.get(id(t._data)) if isinstance(t, Tensor) else None
        return v is not None and v.kind in ("input", "node")

    # --- ops ------------------------------------------------------------------------------
    def record(self, op, impl, layout, bound, result):
        inputs, arg_names, attrs = [], [], {}
        for name, kind in layout:
            val = bound.get(name)
            if kind == "var":
                for a in val or ():
                    inputs.append(self.lookup(a))
                    arg_names.append(name)
            elif isinstance(val, (Tensor, np.ndarray)):
                inputs.append(self.lookup(val))
                arg_names.append(name)
            else:
                self._check_attr(op, name, val)
                attrs[name] = val
        outs = result if isinstance(result, tuple) else (result,)
        node = Node(op, inputs, arg_names, attrs, [], impl, layout)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TraceError(f"{op} returned a {type(o).__name__}, not a Tensor")
            v = Value(f"t{self.count}", o._data.shape, o._data.dtype, "node", producer=node)
            self.count += 1
            node.outputs.append(v)
            self._remember(o._data, v)
            self.snapshots.append((o._data, np.array(o._data, copy=True), v))
        self.graph.nodes.append(node)

    def check_unchanged(self):
        """A traced array whose values changed after it was recorded was written in place
        by code the trace did not see (an in-place op under no_grad, ``._data[...] =``):
        the graph would miss that write."""
        for arr, copy, v in self.snapshots:
            if not np.array_equal(arr, copy, equal_nan=arr.dtype.kind in "fc"):
                made = f" (made by `{v.producer}`)" if v.producer is not None else ""
                raise TraceError(
                    f"{v.name}{made} was changed in place by code the trace cannot see (an "
                    "in-place op under no_grad, or a write to ._data); the graph would miss "
                    "that change. Use an out-of-place op in the forward")

    def _check_attr(self, op, name, val):
        """An array hidden inside an attribute (an index tuple) must not be a traced value."""
        if isinstance(val, (tuple, list)):
            for x in val:
                self._check_attr(op, name, x)
        elif isinstance(val, np.ndarray):
            v = self.by_array.get(id(val))
            if v is not None and v.kind in ("input", "node"):
                raise TraceError(f"{op}: argument {name!r} holds a traced tensor inside a "
                                 "tuple (an index computed from the input); the graph "
                                 "cannot record it")

    def call(self, op_of, impl, layout, sig, args, kwargs, runner):
        """Run ``runner()`` untraced and record it as one op."""
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        prev = _function._trace_hook
        _function._trace_hook = None
        try:
            result = runner()
        finally:
            _function._trace_hook = prev
        self.record(op_of(bound.arguments), impl, layout, bound.arguments, result)
        return result

    def function_hook(self, cls, args, kwargs):
        layout, sig = signature_of(cls.forward, True)
        return self.call(lambda a: op_name(cls, a), cls.apply, layout, sig, args, kwargs,
                         lambda: cls.apply(*args, **kwargs))

    def read_out(self, t, what):
        if self.is_traced(t):
            msg = (f"{what} on a traced tensor: its value is read into Python, so the "
                   "graph keeps what it was in this run (a branch or number that depends "
                   "on the data is fixed)")
            if self.strict:
                raise TraceError(msg)
            warnings.warn(msg, TracerWarning, stacklevel=4)


# Tensor methods that compute without a Function: recorded as ops of their own name.
_METHOD_OPS = {"__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt",
               "__ge__": "ge", "argmax": "argmax", "argmin": "argmin", "max": "max", "min": "min",
               "__invert__": "logical_not", "__and__": "logical_and", "__or__": "logical_or",
               "logsumexp": "logsumexp"}
_READ_OUTS = ("__bool__", "item", "tolist", "numpy", "__float__", "__int__", "__index__",
              "__array__")


class _Patched:
    """Wraps the Tensor methods above while a trace runs; puts them back after."""

    def __init__(self, rec):
        self.rec = rec
        self.saved = {}

    def __enter__(self):
        rec = self.rec
        # Tensor inherits most methods from its mixins (fastnn/_tensor_methods/): the
        # wrapper goes on Tensor itself and __exit__ removes it again.
        for meth, op in _METHOD_OPS.items():
            self.saved[meth] = Tensor.__dict__.get(meth)
            setattr(Tensor, meth, _method_op(rec, op, getattr(Tensor, meth)))
        for meth in _READ_OUTS:
            self.saved[meth] = Tensor.__dict__.get(meth)
            setattr(Tensor, meth, _read_out(rec, meth, getattr(Tensor, meth)))
        self.prev_hook = _function._trace_hook
        _function._trace_hook = rec.function_hook
        return self

    def __exit__(self, *exc):
        _function._trace_hook = self.prev_hook
        for meth, orig in self.saved.items():
            if orig is None:
                delattr(Tensor, meth)
            else:
                setattr(Tensor, meth, orig)
        return False


def _method_op(rec, op, orig):
    layout, sig = signature_of(orig, False)

    def wrapper(*args, **kwargs):
        if _function._trace_hook is None:  # inside another recorded op
            return orig(*args, **kwargs)
        if op in ("max", "min"):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            d = bound.arguments.get("dim")
            if d is None or isinstance(d, Tensor):  # reductions / maximum go through Functions
                return orig(*args, **kwargs)
            result = rec.call(lambda a: op + "_dim", orig, layout, sig, args, kwargs,
                              lambda: orig(*args, **kwargs))
            return result
        return rec.call(lambda a: op, orig, layout, sig, args, kwargs,
                        lambda: orig(*args, **kwargs))
    wrapper.__name__ = orig.__name__
    return wrapper


def _read_out(rec, meth, orig):
    def wrapper(self, *args, **kwargs):
        if _function._trace_hook is not None:
            rec.read_out(self, f"{meth}()" if not meth.startswith("__") else meth.strip("_") + "()")
        return orig(self, *args, **kwargs)
    wrapper.__name__ = orig.__name__
    return wrapper


# --- one run ----------------------------------------------------------------------------------
def _flatten_outputs(out, rec, path="output"):
    """(Values, tree): the tree has the returned nesting with indices into Values."""
    flat = []

    def walk(o, where):
        if isinstance(o, Tensor):
            flat.append(rec.lookup(o))
            return len(flat) - 1
        if isinstance(o, (tuple, list)):
            return tuple(walk(x, f"{where}[{i}]") for i, x in enumerate(o))
        raise TraceError(f"{where} is a {type(o).__name__}; a traced forward must return "
                         "Tensors (or tuples / lists of them)")
    tree = walk(out, path)
    return flat, tree


def _run_once(model, arrays, names, named, strict):
    rec = _Recorder(named, strict)
    tensors = []
    for a, name in zip(arrays, names):
        t = tensor(a)  # its own copy, in the caller's dtype
        if t._data.dtype.kind == "f":
            # so in-place ops (relu(inplace=True), +=) take their recorded, out-of-place path
            t.requires_grad_(True)
        rec.add_input(t, name)
        tensors.append(t)
    with grad_mode.enable_grad(), _Patched(rec):
        out = model(*tensors)
    rec.graph.outputs, rec.graph.output_tree = _flatten_outputs(out, rec)
    rec.check_unchanged()
    return rec.graph


# --- the entry point ---------------------------------------------------------------------------
def _as_arrays(args):
    if isinstance(args, (Tensor, np.ndarray)):
        args = (args,)
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args: expected a Tensor, an array or a tuple of them, got "
                        f"{type(args).__name__}")
    out = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            out.append(np.array(a._data, copy=True))
        elif isinstance(a, np.ndarray):
            out.append(a.copy())
        else:
            raise TypeError(f"args[{i}]: expected a Tensor or an array, got {type(a).__name__}")
    return out


def _dynamic(dynamic_axes, names, arrays):
    """name -> [(input index, axis)] from dynamic_axes (input name or index -> {axis: name})."""
    dims = {}
    if dynamic_axes is None:
        return dims
    if not isinstance(dynamic_axes, dict):
        raise TypeError(f"dynamic_axes: expected a dict, got {type(dynamic_axes).__name__}")
    for key, axes in dynamic_axes.items():
        if isinstance(key, str):
            if key not in names:
                continue  # an output's name (ONNX export passes those too)
            i = names.index(key)
        elif isinstance(key, int) and 0 <= key < len(arrays):
            i = key
        else:
            raise ValueError(f"dynamic_axes: {key!r} names no input")
        if isinstance(axes, (list, tuple)):
            axes = {int(a): f"{names[i]}_dim{int(a)}" for a in axes}
        if not isinstance(axes, dict):
            raise TypeError(f"dynamic_axes[{key!r}]: expected a dict axis -> name or a list "
                            f"of axes, got {type(axes).__name__}")
        nd = arrays[i].ndim
        for axis, dname in axes.items():
            if not isinstance(axis, int) or not -nd <= axis < nd:
                raise ValueError(f"dynamic_axes[{key!r}]: axis {axis!r} out of range for an "
                                 f"input of {nd} dims")
            dims.setdefault(str(dname), []).append((i, axis % nd))
    return dims


def trace(model, args, input_names=None, dynamic_axes="batch", strict=False):
    """Capture ``model``'s forward on ``args`` as a :class:`~fastnn.graph.Graph`.

    model:         an ``nn.Module`` (traced in eval mode, then put back) or any
                   callable on Tensors
    args:          a Tensor / array, or a tuple of them (the forward's inputs)
    input_names:   names of the inputs (default ``input`` / ``input0``, ``input1``...)
    dynamic_axes:  ``"batch"`` (default): axis 0 of every input is the symbolic ``N``;
                   ``None``: every size fixed; or a dict ``{input name or index:
                   {axis: dim name}}`` (or a list of axes), as ``torch.onnx.export``
    strict:        raise, instead of warn, when the forward reads a traced value
                   into Python
    """
    arrays = _as_arrays(args)
    if input_names is None:
        names = ["input"] if len(arrays) == 1 else [f"input{i}" for i in range(len(arrays))]
    else:
        names = [str(n) for n in input_names]
        if len(names) != len(arrays):
            raise ValueError(f"input_names: {len(names)} names for {len(arrays)} inputs")
    if dynamic_axes == "batch":
        dynamic_axes = {i: {0: "N"} for i, a in enumerate(arrays) if a.ndim}
    dims = _dynamic(dynamic_axes, names, arrays)

    named = {}
    modes = []
    if hasattr(model, "named_parameters"):
        for name, t in model.named_parameters():
            named[id(t._data)] = (name, "param", t)
        for name, t in model.named_buffers():
            if t is not None:
                named[id(t._data)] = (name, "buffer", t)
        modes = [(m, m.training) for m in model.modules()]
        model.eval()
    elif not callable(model):
        raise TypeError(f"model: expected an nn.Module or a callable, got {type(model).__name__}")
    try:
        base = _run_once(model, arrays, names, named, strict)
        probe(_run_once, model, arrays, names, named, strict, base)
        runs = {}
        for dname, where in dims.items():
            grown = list(arrays)
            sizes = {arrays[i].shape[ax] for i, ax in where}
            if len(sizes) != 1:
                raise ValueError(f"dynamic_axes: the axes named {dname!r} have different "
                                 f"sizes {sorted(sizes)}")
            for i, ax in where:
                a = grown[i]
                grown[i] = np.concatenate([a, np.flip(a, ax)], axis=ax)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TracerWarning)
                    g = _run_once(model, grown, names, named, False)
            except TraceError:
                raise
            except Exception as e:
                raise TraceError(f"the forward failed with dim {dname!r} doubled ({e}); is "
                                 "that axis really free to change size?") from e
            runs[dname] = (g, sizes.pop())
        graph = merge(base, runs) if runs else base
    finally:
        for m, mode in modes:
            m.training = mode
    graph.prune()
    for dname, where in dims.items():
        graph.dims[dname] = list(where)
        for i, ax in where:
            v = graph.inputs[i]
            shape = list(v.shape)
            shape[ax] = Sym(dname)
            v.shape = tuple(shape)
    return graph
