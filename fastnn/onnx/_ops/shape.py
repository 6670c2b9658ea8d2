"""Shape and data-movement ONNX operators: Reshape, Flatten, Transpose, Concat,
Split, Slice, Squeeze, Unsqueeze, Gather, Expand, Tile, Pad, and the constant
makers (Shape, Size, Constant, ConstantOfShape, Range, Identity).

Arguments that opset changes turned from attributes into inputs (Reshape's
shape, Slice's starts/ends/axes/steps, Squeeze/Unsqueeze axes, Split's split,
Pad's pads) are read from whichever form the node's opset uses. Moving data
goes through fastnn's differentiable reshape/permute/cat/indexing.
"""
import numpy as np

from ...nn import functional as F
from ..._tensor import cat
from ._common import register, arr, ints, const, norm_axis, axes_arg, as_str, unsupported


@register("Identity")
def _identity(node, inputs, attrs):
    return inputs[0]


@register("Reshape")
def _reshape(node, inputs, attrs):
    x = inputs[0]
    shape = ints(inputs[1]) if node.opset >= 5 else [int(v) for v in attrs["shape"]]
    allowzero = int(attrs.get("allowzero", 0))
    out = [x.shape[i] if (v == 0 and not allowzero) else v for i, v in enumerate(shape)]
    if out.count(-1) > 1:
        raise ValueError(f"ONNX import: {node}: Reshape shape {shape} has more than one -1")
    if -1 in out:
        known = int(np.prod([v for v in out if v != -1]))
        out[out.index(-1)] = x.numel() // known if known else 0
    return x.reshape(*out)


@register("Flatten")
def _flatten(node, inputs, attrs):
    x = inputs[0]
    axis = int(attrs.get("axis", 1))
    axis = axis + x.ndim if axis < 0 else axis
    lead = int(np.prod(x.shape[:axis]))
    return x.reshape(lead, int(np.prod(x.shape[axis:])))


@register("Transpose")
def _transpose(node, inputs, attrs):
    x = inputs[0]
    perm = [int(p) for p in attrs.get("perm", range(x.ndim - 1, -1, -1))]
    return x.permute(*perm) if perm else x


@register("Concat")
def _concat(node, inputs, attrs):
    parts = [t for t in inputs if t is not None]
    axis = norm_axis(attrs["axis"], parts[0].ndim, node)
    return cat(parts, axis)


@register("Split")
def _split(node, inputs, attrs):
    x = inputs[0]
    axis = norm_axis(attrs.get("axis", 0), x.ndim, node)
    dim = x.shape[axis]
    if node.opset >= 13 and len(inputs) > 1 and inputs[1] is not None:
        sizes = ints(inputs[1])
    elif node.opset < 13 and "split" in attrs:
        sizes = [int(v) for v in attrs["split"]]
    else:
        n = int(attrs.get("num_outputs", node.n_outputs))
        chunk = -(-dim // n)
        sizes = [min(chunk, dim - i * chunk) for i in range(n)]
    if sum(sizes) != dim:
        raise ValueError(f"ONNX import: {node}: split sizes {sizes} do not add up to {dim}")
    outs, start = [], 0
    for s in sizes:
        outs.append(x.narrow(axis, start, s))
        start += s
    return tuple(outs)


def _slice_bounds(start, end, step, dim):
    if start < 0:
        start += dim
    if end < 0:
        end += dim
    if step > 0:
        return slice(min(max(start, 0), dim), min(max(end, 0), dim), step)
    start = min(max(start, 0), dim - 1)
    end = min(max(end, -1), dim - 1)
    return slice(start, end if end >= 0 else None, step)


@register("Slice")
def _slice(node, inputs, attrs):
    x = inputs[0]
    if node.opset < 10:
        starts, ends = [int(v) for v in attrs["starts"]], [int(v) for v in attrs["ends"]]
        axes = [int(v) for v in attrs.get("axes", range(len(starts)))]
        steps = [1] * len(starts)
    else:
        starts, ends = ints(inputs[1]), ints(inputs[2])
        opt = lambda i: inputs[i] if len(inputs) > i and inputs[i] is not None else None  # noqa
        axes = ints(opt(3)) if opt(3) is not None else list(range(len(starts)))
        steps = ints(opt(4)) if opt(4) is not None else [1] * len(starts)
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        if st == 0:
            raise ValueError(f"ONNX import: {node}: Slice step must not be 0")
        a = norm_axis(a, x.ndim, node)
        index[a] = _slice_bounds(s, e, st, x.shape[a])
    return x[tuple(index)]


@register("Squeeze")
def _squeeze(node, inputs, attrs):
    x = inputs[0]
    axes = axes_arg(node, inputs, attrs, 1, 13)
    if axes is None:
        keep = [n for n in x.shape if n != 1]
    else:
        drop = {norm_axis(a, x.ndim, node) for a in axes}
        for a in drop:
            if x.shape[a] != 1:
                raise ValueError(f"ONNX import: {node}: cannot squeeze axis {a} of size "
                                 f"{x.shape[a]}")
        keep = [n for i, n in enumerate(x.shape) if i not in drop]
    return x.reshape(*keep)


@register("Unsqueeze")
def _unsqueeze(node, inputs, attrs):
    x = inputs[0]
    axes = axes_arg(node, inputs, attrs, 1, 13) or []
    rank = x.ndim + len(axes)
    axes = sorted(norm_axis(a, rank, node) for a in axes)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return x.reshape(*shape)


@register("Gather")
def _gather(node, inputs, attrs):
    x, idx = inputs
    axis = norm_axis(attrs.get("axis", 0), x.ndim, node)
    i = arr(idx).astype(np.int64)
    n = x.shape[axis]
    if i.size and (i.min() < -n or i.max() >= n):
        raise IndexError(f"ONNX import: {node}: Gather index out of range for a dim of size {n}")
    i = np.where(i < 0, i + n, i)
    out = x.index_select(axis, const(i.reshape(-1)))
    return out.reshape(*(tuple(x.shape[:axis]) + i.shape + tuple(x.shape[axis + 1:])))


@register("Expand")
def _expand(node, inputs, attrs):
    x = inputs[0]
    out = np.broadcast_shapes(tuple(x.shape), tuple(ints(inputs[1])))
    if len(out) > x.ndim:
        x = x.reshape(*((1,) * (len(out) - x.ndim) + tuple(x.shape)))
    return x.expand(*out) if tuple(out) != tuple(x.shape) else x


@register("Tile")
def _tile(node, inputs, attrs):
    reps = ints(inputs[1])
    return inputs[0].repeat(*reps) if reps else inputs[0]


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}


def _check_pad(attrs, opset, node):
    mode = as_str(attrs.get("mode", "constant"))
    if mode not in _PAD_MODES:
        raise unsupported(node, f"Pad mode {mode!r} is not supported (expected one of "
                          f"{tuple(_PAD_MODES)})")


@register("Pad", check=_check_pad)
def _pad(node, inputs, attrs):
    x = inputs[0]
    mode = _PAD_MODES[as_str(attrs.get("mode", "constant"))]
    if node.opset < 11:
        pads = [int(v) for v in attrs.get("pads", attrs.get("paddings", []))]
        value = float(attrs.get("value", 0.0))
        axes = list(range(x.ndim))
    else:
        pads = ints(inputs[1])
        value = arr(inputs[2]).item() if len(inputs) > 2 and inputs[2] is not None \
            and arr(inputs[2]).size else 0
        axes = ints(inputs[3]) if len(inputs) > 3 and inputs[3] is not None \
            else list(range(x.ndim))
    axes = [norm_axis(a, x.ndim, node) for a in axes]
    k = len(axes)
    widths = {a: (pads[i], pads[i + k]) for i, a in enumerate(axes)}
    flat = []
    for a in range(x.ndim - 1, -1, -1):
        flat += list(widths.get(a, (0, 0)))
    if not any(flat):
        return x
    return F.pad(x, flat, mode=mode, value=value if mode == "constant" else None)


@register("Shape")
def _shape(node, inputs, attrs):
    shape = tuple(inputs[0].shape)
    start = int(attrs.get("start", 0))
    end = attrs.get("end")
    return const(np.array(shape[start:None if end is None else int(end)], dtype=np.int64))


@register("Size")
def _size(node, inputs, attrs):
    return const(np.array(inputs[0].numel(), dtype=np.int64))


_CONST_KEYS = ("value", "value_float", "value_floats", "value_int", "value_ints")


def _check_constant(attrs, opset, node):
    if not any(k in attrs for k in _CONST_KEYS):
        kinds = sorted(attrs)
        raise unsupported(node, f"Constant with {kinds} is not supported (numeric value, "
                          "value_float(s) and value_int(s) are)")


@register("Constant", check=_check_constant)
def _constant(node, inputs, attrs):
    if "value" in attrs:
        return const(np.array(attrs["value"]))
    if "value_float" in attrs:
        return const(np.array(attrs["value_float"], dtype=np.float32))
    if "value_floats" in attrs:
        return const(np.array(attrs["value_floats"], dtype=np.float32))
    if "value_int" in attrs:
        return const(np.array(attrs["value_int"], dtype=np.int64))
    return const(np.array(attrs["value_ints"], dtype=np.int64))


@register("ConstantOfShape")
def _constant_of_shape(node, inputs, attrs):
    v = np.asarray(attrs.get("value", np.zeros(1, dtype=np.float32)))
    return const(np.full(tuple(ints(inputs[0])), v.reshape(-1)[0], dtype=v.dtype))


@register("Range")
def _range(node, inputs, attrs):
    start, limit, delta = (arr(t) for t in inputs)
    return const(np.arange(start.item(), limit.item(), delta.item()).astype(start.dtype))
