"""Post-training int8 quantization for the C export.

Weights: symmetric, one scale per output channel, ``w_scale[o] = max|W[o]| / 127``,
``wq = round(W / w_scale)``. Activations: one scale per Linear/Conv input,
``x_scale = max|x| / 127`` over the calibration inputs (the model run in
fastnn, op by op, recording what each of those layers reads).
"""
import numpy as np

from .._tensor import Tensor, tensor
from ..autograd import no_grad

QUANTIZED = ("linear", "conv1d", "conv2d")


def quantize_weight(w):
    """(int8 weights, float32 per-output-channel scales) of ``w`` [out, ...]."""
    w = np.asarray(w, np.float64)
    flat = w.reshape(w.shape[0], -1)
    scale = np.abs(flat).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(w.shape), scale.astype(np.float32)


def calibrate(graph, calibration):
    """id(node) -> (int8 weights, weight scales, input scale) for each Linear/Conv."""
    # in the model's input dtype: an Embedding's calibration inputs are indices
    x = calibration if isinstance(calibration, Tensor) else tensor(
        np.asarray(calibration, dtype=graph.inputs[0].dtype))
    dims = graph.bind_dims([tuple(x.shape)])
    env = {id(graph.inputs[0]): x}
    for group in (graph.params, graph.buffers):
        for name, v in group.items():
            env[id(v)] = graph.tensors[name]
    for v in graph.constants:
        env[id(v)] = tensor(v.data)
    peaks = {}
    with no_grad():
        for node in graph.nodes:
            args, kwargs = node.call_args(lambda v: env[id(v)], dims)
            if node.op in QUANTIZED and node.input("w").kind == "param":
                peaks[id(node)] = float(np.abs(env[id(node.input("x"))].numpy()).max())
            out = node.impl(*args, **kwargs)
            outs = tuple(out) if isinstance(out, tuple) else (out,)
            for v, o in zip(node.outputs, outs):
                env[id(v)] = o
    result = {}
    for node in graph.nodes:
        if id(node) in peaks:
            wq, ws = quantize_weight(graph.tensors[node.input("w").name].detach().numpy())
            xs = peaks[id(node)] / 127.0 or 1.0
            result[id(node)] = (wq, ws, xs)
    return result
