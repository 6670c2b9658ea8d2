"""C emitters for data movement: reshape, transpose, permute, flip, expand,
indexing, cat, stack.

Rather than one kernel per op, the exporter runs the op itself on an array of
element numbers (0, 1, 2, ... in float64, exact) and reads off where each
output element comes from. When that map is affine -- offset + sum(i_k * s_k),
true of every transpose, slice, flip and expand -- it is one strided copy; a
reshape whose map is the identity copies nothing. Anything else (indexing with
an index array) becomes a gather with the map as a constant table.
"""
import numpy as np

from .._tensor import Tensor, tensor
from ._ops_nn import op
from ._program import ExportError

MOVES = ("reshape", "transpose", "permute", "flip", "expand", "getitem", "squeeze",
         "unsqueeze", "contiguous", "repeat", "movedim", "narrow", "select")


def _affine(idx):
    """(offset, strides) with idx[i] == offset + sum(i_k * strides[k]), or None."""
    if idx.size == 0 or idx.ndim > 8:
        return None
    off = int(idx.flat[0])
    strides, recon = [], np.full(idx.shape, off, np.int64)
    for k, n in enumerate(idx.shape):
        s = 0
        if n > 1:
            at = [0] * idx.ndim
            at[k] = 1
            s = int(idx[tuple(at)]) - off
        strides.append(s)
        shape = [1] * idx.ndim
        shape[k] = n
        recon = recon + np.arange(n, dtype=np.int64).reshape(shape) * s
    return (off, strides) if np.array_equal(recon, idx) else None


def _contiguous(shape):
    strides, acc = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = acc
        acc *= shape[d]
    return strides


def _trace(p, node, data_inputs):
    """Run ``node`` with each data input replaced by its element numbers
    (input j numbered from the sum of the earlier inputs' sizes)."""
    base, numbered = 0, {}
    for v in data_inputs:
        n = p.size(v)
        numbered[id(v)] = Tensor._wrap(np.arange(base, base + n, dtype=np.float64).reshape(p.shape(v)))
        base += n

    def lookup(v):
        if id(v) in numbered:
            return numbered[id(v)]
        if v.data is not None:
            return tensor(v.data)
        raise ExportError(f"{node.op}: argument {v.name} must be a constant for the C export")
    args, kwargs = node.call_args(lookup, p.dims)
    out = node.impl(*args, **kwargs)
    out = out[0] if isinstance(out, tuple) else out
    return np.asarray(out.numpy()).astype(np.int64)


def _dims(p, values):
    if len(values) > 8:
        raise ExportError("data movement over more than 8 dims is not supported by the C export")
    return p.ints(values or [1])


@op(*MOVES)
def move(p, node):
    x, y = node.inputs[0], node.outputs[0]
    idx = _trace(p, node, [x])
    if node.op in ("reshape", "contiguous", "squeeze", "unsqueeze") and np.array_equal(
            idx.ravel(), np.arange(idx.size)):
        p.alias(y, x)  # a view of contiguous data: no copy
        return
    aff = _affine(idx)
    if aff is None:
        table = p.array(y.name + "_index", idx.ravel().astype(np.int32), "int")
        p.call("gather", p.ptr(x), table, p.out(y), idx.size)
        return
    off, strides = aff
    shape = list(idx.shape)
    src = p.ptr(x) + (f" + {off}" if off else "")
    p.call("copy_strided", src, _dims(p, strides), p.out(y), _dims(p, _contiguous(shape)),
           _dims(p, shape), max(len(shape), 1))


@op("cat", "stack")
def concat(p, node):
    y = node.outputs[0]
    res = _trace(p, node, node.inputs).ravel()
    dst = p.out(y)
    base = 0
    for v in node.inputs:
        n, shape = p.size(v), list(p.shape(v))
        pos = np.flatnonzero((res >= base) & (res < base + n))
        where = np.empty(n, np.int64)
        where[res[pos] - base] = pos
        aff = _affine(where.reshape(shape)) if n else None
        if n and aff is None:
            raise ExportError(f"{node.op}: could not lay out input {v.name} as a strided copy")
        if n:
            off, strides = aff
            p.call("copy_strided", p.ptr(v), _dims(p, _contiguous(shape)),
                   dst + (f" + {off}" if off else ""), _dims(p, strides), _dims(p, shape),
                   max(len(shape), 1))
        base += n
