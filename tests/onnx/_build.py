"""Small ONNX graphs for the import tests: one node (or a few) at a chosen
opset, initializers optional, and a runner that compares fastnn's import with
onnxruntime when it is installed."""
import numpy as np


def tensor_info(name, arr_or_dtype, shape=None):
    from onnx import helper
    if shape is None:
        a = np.asarray(arr_or_dtype)
        dtype, shape = a.dtype, a.shape
    else:
        dtype = np.dtype(arr_or_dtype)
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dtype), shape)


def model(nodes, inputs, outputs, opset, initializers=(), ir_version=None,
          inits_as_inputs=False):
    """inputs: {name: example array}; outputs: list of names (types left open)."""
    from onnx import helper, numpy_helper, TypeProto
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(initializers).items()]
    ins = [tensor_info(k, v) for k, v in inputs.items()]
    if inits_as_inputs:
        ins += [tensor_info(k, v) for k, v in dict(initializers).items()]
    outs = []
    for name in outputs:
        vi = helper.make_empty_tensor_value_info(name)
        vi.type.CopyFrom(TypeProto())
        vi.type.tensor_type.SetInParent()
        outs.append(vi)
    graph = helper.make_graph(nodes, "g", ins, outs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir_version or min(m.ir_version, _ir_for(opset))
    # onnxruntime wants typed outputs: let ONNX's shape inference fill them in
    import onnx
    try:
        inferred = onnx.shape_inference.infer_shapes(m)
    except Exception:  # graphs the tests expect fastnn to refuse
        return m
    m.graph.ClearField("output")
    m.graph.output.extend(inferred.graph.output)
    return m


def _ir_for(opset):
    # the IR version an onnxruntime of this generation expects for each opset
    return {7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8,
            19: 9, 20: 9, 21: 10}.get(opset, 10)


def ort_run(m, feeds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    # the reference run: no graph rewriting (it also costs seconds on big models)
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return s.run(None, feeds)


def fastnn_run(m, feeds):
    import fastnn
    import fastnn.onnx
    mod = fastnn.onnx.load(m)
    with fastnn.no_grad():
        out = mod(*[feeds[n] for n in mod.input_names])
    out = out if isinstance(out, tuple) else (out,)
    return [o.numpy() for o in out]
