"""Further ONNX operators that image and sequence models exported from PyTorch,
Keras (tf2onnx) and super-resolution or detection code use often: instance and
group normalisation, DepthToSpace / SpaceToDepth, Einsum, GatherElements, TopK,
CumSum, Trilu and a few elementwise functions -- each a short composition of
fastnn's differentiable ops."""
import numpy as np

from ..._tensor import einsum
from ._common import register, arr, ints, const, is_float, norm_axis, as_str, unsupported
from .elementwise import _float_op


register("Sign")(_float_op(lambda a: a.sign(), np.sign))
# half to even, as ONNX and PyTorch both round
register("Round")(_float_op(lambda a: a.round(), np.round))
register("Sin")(lambda node, inputs, attrs: inputs[0].sin())
register("Cos")(lambda node, inputs, attrs: inputs[0].cos())
register("Softsign")(lambda node, inputs, attrs: inputs[0] / (inputs[0].abs() + 1.0))


@register("Mish")
def _mish(node, inputs, attrs):
    x = inputs[0]
    return x * ((x.exp() + 1.0).log()).tanh()


@register("ThresholdedRelu")
def _thresholded_relu(node, inputs, attrs):
    x = inputs[0]
    return x * const((arr(x) > float(attrs.get("alpha", 1.0))).astype(arr(x).dtype))


@register("Celu")
def _celu(node, inputs, attrs):
    x, alpha = inputs[0], float(attrs.get("alpha", 1.0))
    return x.relu() + (((-(-x).relu()) * (1.0 / alpha)).exp() - 1.0) * alpha


# --- normalisation over groups of channels --------------------------------------------------
def _group_norm(x, groups, scale, bias, eps, per_group_affine):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    mean = g.mean(2, keepdim=True)
    d = g - mean
    y = (d * ((d * d).mean(2, keepdim=True) + eps).rsqrt()).reshape(*x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if per_group_affine:  # GroupNormalization-18: one scale/bias per group
        y = y.reshape(n, groups, -1) * scale.reshape(1, -1, 1) + bias.reshape(1, -1, 1)
        return y.reshape(*x.shape)
    return y * scale.reshape(*shape) + bias.reshape(*shape)


@register("InstanceNormalization")
def _instance_norm(node, inputs, attrs):
    x, scale, bias = inputs
    return _group_norm(x, x.shape[1], scale, bias, float(attrs.get("epsilon", 1e-5)), False)


@register("GroupNormalization")
def _group_norm_op(node, inputs, attrs):
    x, scale, bias = inputs
    groups = int(attrs["num_groups"])
    per_group = node.opset < 21 and scale.shape[0] == groups and groups != x.shape[1]
    return _group_norm(x, groups, scale, bias, float(attrs.get("epsilon", 1e-5)), per_group)


# --- moving data --------------------------------------------------------------------------------
def _check_d2s(attrs, opset, node):
    if as_str(attrs.get("mode", "DCR")) not in ("DCR", "CRD"):
        raise unsupported(node, f"mode={attrs['mode']!r} is not supported (DCR and CRD are)")


@register("DepthToSpace", check=_check_d2s)
def _depth_to_space(node, inputs, attrs):
    x, b = inputs[0], int(attrs["blocksize"])
    n, c, h, w = x.shape
    if as_str(attrs.get("mode", "DCR")) == "DCR":
        y = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        y = x.reshape(n, c // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (b * b), h * b, w * b)


@register("SpaceToDepth", check=_check_d2s)
def _space_to_depth(node, inputs, attrs):
    x, b = inputs[0], int(attrs["blocksize"])
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b)
    if as_str(attrs.get("mode", "DCR")) == "DCR":
        y = y.permute(0, 3, 5, 1, 2, 4)
    else:
        y = y.permute(0, 1, 3, 5, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


@register("GatherElements")
def _gather_elements(node, inputs, attrs):
    x, idx = inputs
    axis = norm_axis(attrs.get("axis", 0), x.ndim, node)
    i = arr(idx).astype(np.int64)
    i = np.where(i < 0, i + x.shape[axis], i)
    return x.gather(axis, const(i))


@register("Einsum")
def _einsum(node, inputs, attrs):
    eq = as_str(attrs["equation"]).replace(" ", "")
    if all(is_float(t) for t in inputs):
        return einsum(eq, *inputs)
    return const(np.einsum(eq, *[arr(t) for t in inputs]))


@register("Trilu")
def _trilu(node, inputs, attrs):
    x = inputs[0]
    k = int(arr(inputs[1])) if len(inputs) > 1 and inputs[1] is not None else 0
    upper = int(attrs.get("upper", 1))
    if not is_float(x):
        a = arr(x)
        return const(np.triu(a, k) if upper else np.tril(a, k))
    return x.triu(k) if upper else x.tril(k)


# --- ordering -----------------------------------------------------------------------------------
@register("TopK")
def _topk(node, inputs, attrs):
    x = inputs[0]
    k = ints(inputs[1])[0] if node.opset >= 10 else int(attrs["k"])
    axis = norm_axis(attrs.get("axis", -1), x.ndim, node)
    largest = bool(int(attrs.get("largest", 1)))
    a = arr(x)
    # ONNX breaks ties by the lower index: a stable sort of the keys does that
    if not largest:
        keys = a
    elif a.dtype.kind == "u":  # no negatives there: count down from the maximum
        keys = a.max(axis=axis, keepdims=True) - a
    else:
        keys = -a
    order = np.argsort(keys, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis).astype(np.int64)
    return x.gather(axis, const(idx)) if is_float(x) else \
        const(np.take_along_axis(a, idx, axis)), const(idx)


@register("CumSum")
def _cumsum(node, inputs, attrs):
    x = inputs[0]
    axis = norm_axis(int(arr(inputs[1])), x.ndim, node)
    exclusive, reverse = int(attrs.get("exclusive", 0)), int(attrs.get("reverse", 0))
    if not is_float(x):
        a = np.flip(arr(x), axis) if reverse else arr(x)
        out = np.cumsum(a, axis=axis).astype(a.dtype)
        if exclusive:
            out = out - a
        return const(np.flip(out, axis) if reverse else out)
    y = x.flip(axis) if reverse else x
    out = y.cumsum(axis)
    if exclusive:
        out = out - y
    return out.flip(axis) if reverse else out
