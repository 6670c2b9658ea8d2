"""Reductions, arg-reductions and the softmax family.

Softmax and LogSoftmax changed meaning at opset 13: before it, the input is
flattened to 2-D at ``axis`` (default 1) and normalised over everything from
``axis`` on; from 13 on they normalise over the one ``axis`` (default -1).
"""
import numpy as np

from ...nn import functional as F
from ._common import register, arr, const, is_float, norm_axis, axes_arg


def _reduce(tensor_fn, np_fn, axes_input_since):
    def run(node, inputs, attrs):
        x = inputs[0]
        axes = axes_arg(node, inputs, attrs, 1, axes_input_since)
        keep = bool(int(attrs.get("keepdims", 1)))
        if not axes:
            if int(attrs.get("noop_with_empty_axes", 0)):
                return x
            axes = list(range(x.ndim))
        axes = tuple(sorted({norm_axis(a, x.ndim, node) for a in axes}))
        if is_float(x) and x.numel() > 0:
            return tensor_fn(x, axes, keep)
        a = arr(x)
        return const(np.asarray(np_fn(a, axes, keep)).astype(a.dtype, copy=False))
    return run


def _np_max(a, axes, keep):
    if a.size == 0:
        shape = [1 if i in axes else n for i, n in enumerate(a.shape)]
        out = np.full(shape, -np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min
                      if a.dtype.kind in "iu" else False, dtype=a.dtype)
        return out if keep else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])
    return np.max(a, axis=axes, keepdims=keep)


def _np_min(a, axes, keep):
    if a.size == 0:
        shape = [1 if i in axes else n for i, n in enumerate(a.shape)]
        out = np.full(shape, np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).max
                      if a.dtype.kind in "iu" else True, dtype=a.dtype)
        return out if keep else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])
    return np.min(a, axis=axes, keepdims=keep)


register("ReduceSum")(_reduce(lambda x, ax, k: x.sum(ax, keepdim=k),
                              lambda a, ax, k: np.sum(a, axis=ax, keepdims=k), 13))
register("ReduceMean")(_reduce(lambda x, ax, k: x.mean(ax, keepdim=k),
                               lambda a, ax, k: np.mean(a, axis=ax, keepdims=k), 18))
register("ReduceMax")(_reduce(lambda x, ax, k: x.amax(ax, keepdim=k), _np_max, 18))
register("ReduceMin")(_reduce(lambda x, ax, k: x.amin(ax, keepdim=k), _np_min, 18))
register("ReduceProd")(_reduce(lambda x, ax, k: _prod(x, ax, k),
                               lambda a, ax, k: np.prod(a, axis=ax, keepdims=k), 18))
register("ReduceSumSquare")(_reduce(lambda x, ax, k: (x * x).sum(ax, keepdim=k),
                                    lambda a, ax, k: np.sum(a * a, axis=ax, keepdims=k), 18))
register("ReduceL2")(_reduce(lambda x, ax, k: (x * x).sum(ax, keepdim=k).sqrt(),
                             lambda a, ax, k: np.sqrt(np.sum(a * a, axis=ax, keepdims=k)), 18))
register("ReduceL1")(_reduce(lambda x, ax, k: x.abs().sum(ax, keepdim=k),
                             lambda a, ax, k: np.sum(np.abs(a), axis=ax, keepdims=k), 18))
register("ReduceLogSum")(_reduce(lambda x, ax, k: x.sum(ax, keepdim=k).log(),
                                 lambda a, ax, k: _log(np.sum(a, axis=ax, keepdims=k)), 18))


def _log(a):
    with np.errstate(divide="ignore"):  # log(0) = -inf, as ONNX says (an empty sum)
        return np.log(a)


def _np_lse(a, axes, keep):
    m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros([1] * a.ndim, a.dtype)
    m = np.where(np.isfinite(m), m, 0)
    out = _log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
    return out if keep else np.squeeze(out, axis=axes)


register("ReduceLogSumExp")(_reduce(lambda x, ax, k: x.logsumexp(ax, keepdim=k), _np_lse, 18))


def _prod(x, axes, keep):
    for a in sorted(axes, reverse=True):
        x = x.prod(a, keepdim=keep)
    return x


def _arg(np_fn):
    def run(node, inputs, attrs):
        a = arr(inputs[0])
        axis = norm_axis(attrs.get("axis", 0), a.ndim, node)
        keep = bool(int(attrs.get("keepdims", 1)))
        if int(attrs.get("select_last_index", 0)):
            flipped = np.flip(a, axis)
            idx = a.shape[axis] - 1 - np_fn(flipped, axis=axis)
        else:
            idx = np_fn(a, axis=axis)
        idx = idx.astype(np.int64)
        return const(np.expand_dims(idx, axis) if keep else idx)
    return run


register("ArgMax")(_arg(np.argmax))
register("ArgMin")(_arg(np.argmin))


def _softmax(fn):
    def run(node, inputs, attrs):
        x = inputs[0]
        if node.opset >= 13:
            return fn(x, norm_axis(attrs.get("axis", -1), x.ndim, node))
        axis = norm_axis(attrs.get("axis", 1), x.ndim, node)
        shape = tuple(x.shape)
        flat = x.reshape(int(np.prod(shape[:axis])), int(np.prod(shape[axis:])))
        return fn(flat, 1).reshape(*shape)
    return run


register("Softmax")(_softmax(lambda x, d: F.softmax(x, d)))
register("LogSoftmax")(_softmax(lambda x, d: F.log_softmax(x, d)))
