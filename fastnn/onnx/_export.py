"""fastnn.onnx.export: trace a model (fastnn.graph) and write the graph as ONNX.

Every graph op has a converter (_ops_nn.py, _ops_tensor.py, _ops_rnn.py) that
emits the ONNX nodes computing it; parameters and buffers become initializers
under their ``state_dict`` names. The table of which fastnn op becomes which
ONNX operator is in docs/graph.md.
"""
import os

import numpy as np
import onnx
from onnx import helper

from .. import __version__
from ..graph import trace
from ..graph.ir import Sym
# the converter modules register themselves on import
from . import _ops_attention, _ops_nn, _ops_rnn, _ops_tensor  # noqa: F401
from ._builder import CONVERTERS, Builder, ExportError, onnx_dtype

DEFAULT_OPSET = 18
MIN_OPSET = 17
# torch.onnx.export arguments that change nothing here (fastnn always writes the
# parameters, folds nothing the runtime would not, and exports eval-mode graphs)
_ACCEPTED = {"export_params", "verbose", "training", "do_constant_folding",
             "keep_initializers_as_inputs", "operator_export_type", "custom_opsets",
             "export_modules_as_functions", "autograd_inlining", "dynamo", "external_data",
             "strict", "report", "verify", "optimize", "kwargs"}


def _value_info(v, name, dim_names):
    dims = []
    for k, d in enumerate(v.shape):
        if isinstance(d, Sym):
            dims.append(dim_names.get(k, str(d)))
        else:
            dims.append(int(d))
    return helper.make_tensor_value_info(name, onnx_dtype(v.dtype), dims)


def _axes_names(spec, n_dims=None):
    """dynamic_axes entry -> {axis: name} (a list of axes gets generated names)."""
    if isinstance(spec, dict):
        return {int(k): str(v) for k, v in spec.items()}
    return {int(k): None for k in spec}


def to_model(graph, output_names=None, opset_version=None, dynamic_axes=None,
             keep_initializers_as_inputs=False, graph_name="fastnn"):
    """An ``onnx.ModelProto`` of a traced ``graph``."""
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < MIN_OPSET or opset > onnx.defs.onnx_opset_version():
        raise ValueError(f"opset_version: fastnn writes opsets {MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()}, got {opset_version}")
    dynamic_axes = dynamic_axes or {}
    b = Builder(graph, opset)
    for v in graph.inputs:
        b.assign(v, v.name)
    for group in (graph.params, graph.buffers):
        for name, v in group.items():
            b.assign(v, name)
            b.initializers.append(onnx.numpy_helper.from_array(
                np.ascontiguousarray(graph.tensors[name]._data), b.name(v)))
    for c in graph.constants:
        b.initializers.append(onnx.numpy_helper.from_array(np.ascontiguousarray(c.data),
                                                           b.assign(c, c.name)))
    n_out = len(graph.outputs)
    if output_names is None:
        output_names = ["output"] if n_out == 1 else [f"output{i}" for i in range(n_out)]
    output_names = [str(n) for n in output_names]
    if len(output_names) != n_out:
        raise ValueError(f"output_names: {len(output_names)} names for the model's "
                         f"{n_out} outputs")
    known = {v.name for v in graph.inputs} | set(output_names)
    for key in dynamic_axes:
        if key not in known and not isinstance(key, int):
            raise ValueError(f"dynamic_axes: {key!r} is neither an input name "
                             f"({[v.name for v in graph.inputs]}) nor an output name "
                             f"({output_names})")
    # an output made by an op takes its final name directly; others get an Identity
    copies = []
    for v, name in zip(graph.outputs, output_names):
        if name in b.taken:
            raise ValueError(f"output_names: {name!r} is already the name of an input, a "
                             "parameter or another output")
        if v.kind == "node" and id(v) not in b.names:
            b.assign(v, name)
        else:
            b.taken.add(name)
            copies.append((v, name))

    for node in graph.nodes:
        fn = CONVERTERS.get(node.op)
        if fn is None:
            raise ExportError(f"{node.op}: this op (in `{node}`) has no ONNX export yet")
        try:
            fn(b, node)
        except ExportError:
            raise
        except Exception as e:
            raise ExportError(f"{node.op}: could not export `{node}`: {e}") from e

    for v, name in copies:
        b.emit("Identity", [b.name(v)], name)

    nodes, initializers = _drop_unused(b.nodes, b.initializers, output_names)
    inputs = [_value_info(v, b.name(v), {}) for v in graph.inputs]
    outputs = []
    for v, name in zip(graph.outputs, output_names):
        named = {k: n for k, n in _axes_names(dynamic_axes.get(name, {})).items() if n}
        outputs.append(_value_info(v, name, named))
    if keep_initializers_as_inputs:
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                   for t in initializers]
    g = helper.make_graph(nodes, graph_name, inputs, outputs, initializers)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="fastnn", producer_version=__version__)
    # the oldest IR version that holds this opset, so older runtimes read the file
    model.ir_version = min(onnx.IR_VERSION, _ir_version(opset))
    return model


def _drop_unused(nodes, initializers, outputs):
    """The ONNX nodes and initializers that the outputs need. A converter may leave
    some unread: a zero initial RNN state is left out of the LSTM node, so the ops
    that built it (ConstantOfShape, Gather) go here."""
    needed = set(outputs)
    kept = []
    for n in reversed(nodes):
        if any(o in needed for o in n.output):
            kept.append(n)
            needed.update(i for i in n.input if i)
    return kept[::-1], [t for t in initializers if t.name in needed]


def _ir_version(opset):
    for _, ir, op, *_ in reversed(helper.VERSION_TABLE):
        if op <= opset:
            return ir
    return onnx.IR_VERSION  # pragma: no cover


def _write(model, f):
    data = model.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"f: expected a path or a binary file object, got {type(f).__name__}")


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None,
           opset_version=None, **kwargs):
    """Trace ``model`` on ``args`` and write it to ``f`` as ONNX; returns the ModelProto.

    ``dynamic_axes`` as in torch.onnx.export: ``{input or output name: {axis: name}}``
    (or a list of axes); every other size is fixed at the traced one.
    """
    unknown = set(kwargs) - _ACCEPTED
    if unknown:
        raise TypeError(f"export() got unexpected keyword arguments {sorted(unknown)}")
    if kwargs.get("export_params", True) is False:
        raise ValueError("export_params=False (a file without weights) is not supported")
    training = kwargs.get("training")
    if training is not None and "TRAIN" in str(training).upper() and "EVAL" not in str(training).upper():
        raise ValueError("training: fastnn exports eval-mode graphs only (dropout off, "
                         "batch norm on running statistics)")
    if isinstance(args, dict) or (isinstance(args, tuple) and args and isinstance(args[-1], dict)):
        raise TypeError("args: keyword arguments to forward are not supported; pass positional "
                        "inputs")
    if dynamic_axes is not None and not isinstance(dynamic_axes, dict):
        raise TypeError(f"dynamic_axes: expected a dict, got {type(dynamic_axes).__name__}")
    graph = trace(model, args, input_names=input_names, dynamic_axes=dynamic_axes)
    if kwargs.get("verbose"):
        print(graph)
    onnx_model = to_model(graph, output_names, opset_version, dynamic_axes,
                          bool(kwargs.get("keep_initializers_as_inputs")),
                          graph_name=type(model).__name__)
    _write(onnx_model, f)
    return onnx_model
