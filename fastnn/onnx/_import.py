"""ONNX import: ``load(f)`` turns an ONNX model into a fastnn ``nn.Module``.

The module keeps the graph's nodes in order and runs them in ``forward`` with
the operator functions of ``fastnn/onnx/_ops`` (fastnn's differentiable ops),
so an imported model runs, trains and fine-tunes like any other fastnn model.

Initializers become state: floating-point ones are Parameters (trainable),
everything else -- integer tensors, and the running mean and variance of a
BatchNormalization -- are buffers. Their names follow the ONNX names, split at
dots into submodules, so a model exported from PyTorch has the same
``state_dict()`` keys here as it had there (``layer1.0.conv1.weight``); a name
that cannot be an attribute is sanitised (``gpu_0/conv1_w_0`` ->
``gpu_0_conv1_w_0``). ``model.onnx_names`` maps each ONNX name to its key.

Everything that can be checked is checked when loading, before anything runs:
operator types, attribute values an operator does not implement, the node
order, and in files older than opset 7 that every operator still has the
definition it has at opset 7. An unsupported construct raises
NotImplementedError naming the node. If nodes are compiled the same way, branch
by branch, and run the branch their condition picks at run time.
"""
import collections
import os
import re

import numpy as np

from ..nn.modules.module import Module
from ..nn.parameter import Parameter
from .._tensor import Tensor
from ._ops import OPS, CHECKS, NodeInfo
from ._ops._common import const

MIN_OPSET = 7
_DEFAULT_DOMAINS = ("", "ai.onnx")
_BUFFER_INPUTS = {"BatchNormalization": (3, 4)}  # running mean, running var
# TensorProto element types fastnn computes in: float16/32/64, (u)int8-64, bool,
# and strings (NumPy compares and moves them; arithmetic on them fails loudly)
_ELEM_TYPES = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}


def _onnx():
    import onnx
    return onnx


def _read_model(f):
    onnx = _onnx()
    if isinstance(f, onnx.ModelProto):
        return f
    if isinstance(f, (bytes, bytearray, memoryview)):  # a serialized model
        return onnx.load_model_from_string(bytes(f))
    if isinstance(f, (str, os.PathLike)):
        return onnx.load(os.fspath(f))
    if hasattr(f, "read"):
        data = f.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("load: f must be opened in binary mode ('rb')")
        return onnx.load_model_from_string(bytes(data))
    raise TypeError(f"load: f must be a path, a binary file object, an onnx.ModelProto or "
                    f"the bytes of a serialized model, "
                    f"got {type(f).__name__}")


class _Namespace(Module):
    """Holds the Parameters and buffers of one dotted-name prefix; never called."""

    def forward(self, *args):
        raise RuntimeError("this module only holds imported ONNX tensors")


def _attr_values(node):
    onnx = _onnx()
    from onnx import numpy_helper
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, onnx.TensorProto):
            v = numpy_helper.to_array(v)
        elif isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        elif isinstance(v, onnx.GraphProto) and node.op_type == "If":
            pass  # compiled into a _Branch by the caller
        elif isinstance(v, (onnx.GraphProto, onnx.SparseTensorProto)) or (
                isinstance(v, list) and v and isinstance(v[0], onnx.GraphProto)):
            v = _Unsupported(a.name)
        out[a.name] = v
    return out


class _Unsupported:
    def __init__(self, name):
        self.name = name


class _Branch:
    """A compiled subgraph of an If node: its nodes, constant initializers and outputs.
    It reads the enclosing graph's values by name (ONNX's outer-scope rule)."""

    def __init__(self, nodes, constants, outputs):
        self.nodes, self.constants, self.outputs = nodes, constants, outputs


def _check_old_definition(op_type, opset, info):
    """Before opset 7 some operators meant something else (legacy broadcast with an
    axis, BatchNormalization's spatial/is_test, ...). A node of an older file is
    accepted when the definition in force at its opset is still the one in force
    at opset 7 -- then it is the operator fastnn implements."""
    from onnx import defs
    try:
        old = defs.get_schema(op_type, opset).since_version
        new = defs.get_schema(op_type, MIN_OPSET).since_version
    except Exception:
        old, new = None, -1
    if old != new:
        raise NotImplementedError(
            f"ONNX import: {info}: this file's opset {opset} uses the definition of "
            f"{op_type!r} from before opset {MIN_OPSET}, which fastnn does not implement; "
            "convert the model with onnx.version_converter.convert_version(model, 13)")


def _names_read(entry):
    """Every value name a compiled node reads, its If branches' reads included."""
    info, ins, outs, attrs = entry
    names = {n for n in ins if n}
    for v in attrs.values():
        if isinstance(v, _Branch):
            for sub in v.nodes:
                names |= _names_read(sub)
            names |= set(v.outputs)
    return names


def _last_uses(nodes, keep):
    """Per node, the names whose last reader it is (never a graph output)."""
    last = {}
    for i, entry in enumerate(nodes):
        for name in _names_read(entry):
            last[name] = i
    release = [[] for _ in nodes]
    for name, i in last.items():
        if name not in keep:
            release[i].append(name)
    return release


def _check_attribute_names(op_type, opset, attrs, info):
    """An attribute the operator's definition at this opset does not have (a newer
    opset's, a misspelling) would be silently ignored: refuse it instead."""
    from onnx import defs
    try:
        known = set(defs.get_schema(op_type, opset).attributes)
    except Exception:
        raise NotImplementedError(f"ONNX import: {info}: operator {op_type!r} does not exist "
                                  f"at opset {opset}") from None
    extra = sorted(set(attrs) - known)
    if extra:
        raise NotImplementedError(f"ONNX import: {info}: attribute(s) {extra} are not part of "
                                  f"{op_type!r} at opset {opset}")


class OnnxModule(Module):
    """An ONNX graph as a fastnn Module: ``forward(*inputs)`` takes the graph's
    inputs in order and returns its output (a tuple when there are several)."""

    def __init__(self, model):
        super().__init__()
        onnx = _onnx()
        from onnx import numpy_helper
        if len(model.functions):
            # model-local functions (newer exporters): expand their calls in place
            from onnx import inliner
            model = inliner.inline_local_functions(model)
        graph = model.graph
        opset = None
        for imp in model.opset_import:
            if imp.domain in _DEFAULT_DOMAINS:
                opset = int(imp.version)
        if opset is None:
            raise NotImplementedError("ONNX import: the model imports no version of the default "
                                      "ONNX operator set")
        if len(graph.sparse_initializer):
            raise NotImplementedError("ONNX import: sparse initializers are not supported")
        self.opset = opset
        object.__setattr__(self, "onnx_names", {})
        inits = {t.name: t for t in graph.initializer}
        buffer_names = set()
        for node in graph.node:
            for i in _BUFFER_INPUTS.get(node.op_type, ()):
                if i < len(node.input):
                    buffer_names.add(node.input[i])
        for name, t in inits.items():
            if t.data_type not in _ELEM_TYPES:
                raise NotImplementedError(
                    f"ONNX import: initializer {name!r} has element type "
                    f"{onnx.TensorProto.DataType.Name(t.data_type)}; fastnn computes in "
                    "float16/32/64, (u)int8-64, bool and string")
            if t.data_location == onnx.TensorProto.EXTERNAL and not t.raw_data:
                raise ValueError(f"ONNX import: initializer {name!r} is stored in an external "
                                 "file; pass the model's path so onnx can find it beside the "
                                 "model (or onnx.load it first)")
            a = numpy_helper.to_array(t).copy()
            if a.dtype.kind == "f" and name not in buffer_names:
                self._place(name, Parameter(Tensor._wrap(a)), True)
            else:
                self._place(name, Tensor._wrap(a), False)
        # older files (IR < 4) list the initializers among the graph inputs too;
        # those are weights, not what the caller passes
        self.input_names = [v.name for v in graph.input if v.name not in inits]
        self.output_names = [v.name for v in graph.output]
        for v in list(graph.input) + list(graph.output):
            kind = v.type.WhichOneof("value")
            if kind not in (None, "tensor_type"):
                raise NotImplementedError(f"ONNX import: graph value {v.name!r} has type "
                                          f"{kind.replace('_type', '')!r}; fastnn imports "
                                          "tensors only")
            elem = v.type.tensor_type.elem_type if kind else 0
            if elem and elem not in _ELEM_TYPES:
                raise NotImplementedError(
                    f"ONNX import: graph value {v.name!r} has element type "
                    f"{onnx.TensorProto.DataType.Name(elem)}; fastnn computes in "
                    "float16/32/64, (u)int8-64, bool and string")
        known = set(inits) | set(self.input_names)
        self._nodes = self._compile(graph.node, known, opset, "")
        self._release = _last_uses(self._nodes, set(self.output_names))
        for name in self.output_names:
            if name not in known:
                raise ValueError(f"ONNX import: graph output {name!r} is never produced")
        self.eval()

    def _compile(self, nodes, known, opset, where):
        """Check every node (operator, domain, attributes, inputs defined before use)
        and return the run list; ``known`` grows by the names the nodes define."""
        from onnx import numpy_helper
        out = []
        for index, node in enumerate(nodes):
            info = NodeInfo(node.op_type, node.name, f"{where}{index}", opset, len(node.output),
                            self)
            if node.domain not in _DEFAULT_DOMAINS:
                raise NotImplementedError(f"ONNX import: {info}: operator domain "
                                          f"{node.domain!r} is not supported")
            if node.op_type not in OPS and node.op_type != "If":
                raise NotImplementedError(f"ONNX import: {info}: operator {node.op_type!r} "
                                          "is not supported by fastnn")
            if opset < MIN_OPSET:
                _check_old_definition(node.op_type, opset, info)
            attrs = _attr_values(node)
            _check_attribute_names(node.op_type, opset, attrs, info)
            for k, v in attrs.items():
                if isinstance(v, _Unsupported):
                    raise NotImplementedError(f"ONNX import: {info}: graph/sparse attribute "
                                              f"{k!r} is not supported")
            if node.op_type in CHECKS:
                CHECKS[node.op_type](attrs, opset, info)
            for name in node.input:
                if name and name not in known:
                    raise ValueError(f"ONNX import: {info}: input {name!r} is not produced by an "
                                     "earlier node, an initializer or a graph input (the graph "
                                     "must be topologically sorted)")
            if node.op_type == "If":
                for key in ("then_branch", "else_branch"):
                    g = attrs[key]
                    consts = {t.name: numpy_helper.to_array(t).copy() for t in g.initializer}
                    inner = self._compile(g.node, known | set(consts), opset,
                                          f"{where}{index}.{key}.")
                    attrs[key] = _Branch(inner, consts, [o.name for o in g.output])
            known.update(n for n in node.output if n)
            out.append((info, list(node.input), list(node.output), attrs))
        return out

    # --- initializers as Parameters / buffers --------------------------------------------------
    def _place(self, onnx_name, tensor, is_param):
        parts = [re.sub(r"\W", "_", p) for p in onnx_name.split(".")]
        key = self._try_place(parts, tensor, is_param) if all(parts) else None
        if key is None:
            flat = re.sub(r"\W", "_", onnx_name) or "_"
            base, n = flat, 1
            while hasattr(self, flat) or flat in self._modules:
                flat = f"{base}_{n}"
                n += 1
            self._register(self, flat, tensor, is_param)
            key = flat
        self.onnx_names[onnx_name] = key

    def _try_place(self, parts, tensor, is_param):
        owner = self
        for p in parts[:-1]:
            child = owner._modules.get(p)
            if child is None:
                if hasattr(owner, p):
                    return None
                child = _Namespace()
                owner.add_module(p, child)
            elif not isinstance(child, _Namespace):
                return None
            owner = child
        if hasattr(owner, parts[-1]) or parts[-1] in owner._modules:
            return None
        self._register(owner, parts[-1], tensor, is_param)
        return ".".join(parts)

    @staticmethod
    def _register(owner, name, tensor, is_param):
        if is_param:
            owner.register_parameter(name, tensor)
        else:
            owner.register_buffer(name, tensor)

    def _state_tensor(self, key):
        owner = self
        *path, leaf = key.split(".")
        for p in path:
            owner = owner._modules[p]
        return getattr(owner, leaf)

    # --- running --------------------------------------------------------------------------------
    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise TypeError(f"forward() takes the graph's {len(self.input_names)} input(s) "
                            f"{self.input_names}, got {len(inputs)}")
        env = {onnx_name: self._state_tensor(key) for onnx_name, key in self.onnx_names.items()}
        for name, x in zip(self.input_names, inputs):
            env[name] = x if isinstance(x, Tensor) else const(np.asarray(x))
        self._run(self._nodes, env, self._release)
        outs = tuple(env[n] for n in self.output_names)
        return outs[0] if len(outs) == 1 else outs

    def _run(self, nodes, env, release=None):
        for i, (info, ins, outs, attrs) in enumerate(nodes):
            args = [env[n] if n else None for n in ins]
            while args and args[-1] is None:
                args.pop()
            try:
                if info.op_type == "If":
                    res = self._run_if(args[0], attrs, env)
                else:
                    res = OPS[info.op_type](info, args, attrs)
            except Exception as e:
                e.add_note(f"while running ONNX {info}")
                raise
            if not isinstance(res, tuple):
                res = (res,)
            for k, name in enumerate(outs):
                if not name:
                    continue
                if k >= len(res) or res[k] is None:
                    raise NotImplementedError(f"ONNX import: {info}: output {k} ({name!r}) is "
                                              "not produced by fastnn's implementation")
                env[name] = res[k]
            # drop what no later node reads, so inference holds only live values
            # (a value autograd still needs stays alive through its graph)
            for name in release[i] if release else ():
                env.pop(name, None)

    def _run_if(self, cond, attrs, env):
        """If: the condition is a value at run time (shapes, typically); the chosen
        branch runs on a scope that sees the enclosing values, and only its outputs
        leave it, so gradients flow through the branch taken."""
        branch = attrs["then_branch"] if bool(np.asarray(cond._data).reshape(-1)[0]) \
            else attrs["else_branch"]
        scope = collections.ChainMap({k: const(v) for k, v in branch.constants.items()}, env)
        self._run(branch.nodes, scope)
        return tuple(scope[n] for n in branch.outputs)

    def extra_repr(self):
        return (f"opset={self.opset}, inputs={self.input_names}, outputs={self.output_names}, "
                f"nodes={len(self._nodes)}")


def load(f):
    """Read an ONNX model (a path, a binary file object, an ``onnx.ModelProto`` or the
    bytes of a serialized model) and return an ``OnnxModule`` in eval mode."""
    return OnnxModule(_read_model(f))
