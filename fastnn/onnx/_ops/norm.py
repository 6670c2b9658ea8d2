"""BatchNormalization, LayerNormalization and Dropout.

An imported model follows fastnn's train()/eval() switch the way the PyTorch
layers these nodes came from do: in eval mode (how load() returns the model)
BatchNormalization uses the running statistics and Dropout passes its input
through, as in the ONNX inference graph; in training mode BatchNormalization
normalises with the batch statistics and updates the running-statistics
buffers (ONNX's momentum m is PyTorch's 1 - m), and Dropout drops. A node whose
own training_mode says so trains regardless.
"""
import numpy as np

from ...nn import functional as F
from ..._tensor import rand
from ._common import register, arr, const, unsupported


def _check_bn(attrs, opset, node):
    if opset < 9 and int(attrs.get("spatial", 1)) != 1:
        raise unsupported(node, "BatchNormalization with spatial=0 is not supported")


def _channel_view(t, ndim):
    return t.reshape(*([1, -1] + [1] * (ndim - 2)))


@register("BatchNormalization", check=_check_bn)
def _batch_norm(node, inputs, attrs):
    x, scale, bias, mean, var = inputs[:5]
    eps = float(attrs.get("epsilon", 1e-5))
    momentum = float(attrs.get("momentum", 0.9))
    graph_training = int(attrs.get("training_mode", 0)) == 1
    if graph_training:
        # ONNX's training-mode outputs: Y, running_mean, running_var
        axes = (0,) + tuple(range(2, x.ndim))
        bmean = x.mean(axes)
        bvar = ((x - _channel_view(bmean, x.ndim)) ** 2).mean(axes)
        y = (x - _channel_view(bmean, x.ndim)) / (_channel_view(bvar, x.ndim) + eps).sqrt()
        y = y * _channel_view(scale, x.ndim) + _channel_view(bias, x.ndim)
        rm = arr(mean) * momentum + arr(bmean) * (1 - momentum)
        rv = arr(var) * momentum + arr(bvar) * (1 - momentum)
        return y, const(rm.astype(arr(mean).dtype)), const(rv.astype(arr(var).dtype))
    # in training mode a single value per channel raises, as in PyTorch
    return F.batch_norm(x, mean, var, scale, bias, training=node.training,
                        momentum=1.0 - momentum, eps=eps)


@register("LayerNormalization")
def _layer_norm(node, inputs, attrs):
    x, scale = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    eps = float(attrs.get("epsilon", 1e-5))
    axis = int(attrs.get("axis", -1))
    axis = axis + x.ndim if axis < 0 else axis
    norm_shape = tuple(x.shape[axis:])
    if node.n_outputs == 1 and tuple(scale.shape) == norm_shape and (
            bias is None or tuple(bias.shape) == norm_shape):
        return F.layer_norm(x, norm_shape, scale, bias, eps)
    axes = tuple(range(axis, x.ndim))
    mean = x.mean(axes, keepdim=True)
    d = x - mean
    inv = ((d * d).mean(axes, keepdim=True) + eps).rsqrt()
    y = d * inv * scale
    if bias is not None:
        y = y + bias
    return y, mean, inv


@register("Dropout")
def _dropout(node, inputs, attrs):
    x = inputs[0]
    if node.opset >= 12:
        ratio = float(arr(inputs[1])) if len(inputs) > 1 and inputs[1] is not None else 0.5
        graph_training = len(inputs) > 2 and inputs[2] is not None and bool(arr(inputs[2]))
    else:
        ratio, graph_training = float(attrs.get("ratio", 0.5)), False
    if not (graph_training or node.training) or ratio == 0.0:
        return x, const(np.ones(tuple(x.shape), dtype=bool))
    keep = arr(rand(*x.shape)) >= ratio
    scale = (keep / (1.0 - ratio)).astype(arr(x).dtype) if ratio < 1.0 else \
        np.zeros(tuple(x.shape), dtype=arr(x).dtype)
    return x * const(scale), const(keep)
