"""The steps a plan is made of: one function per graph op, bound to its
weights and resolved attributes, called on NumPy arrays.

A step is ``(fn, input slots, output slots)``; ``fn`` takes the input arrays
and returns the outputs (one array or a tuple). The ops that matter for
latency -- linear, conv, pooling, relu, reshape, softmax -- call fastnn's
native kernels (or BLAS, as fastnn's own Linear does at a few rows) directly;
every other op calls the same Function the model called, under no_grad.
"""
import numpy as np

from ..autograd import no_grad
from ..backends import get_backend
from ..graph.ir import resolve
from .._tensor import Tensor
from ._conv_step import ConvStep, source, tailed_buffer

_FEW_ROWS = 4  # at most this many rows a Linear is a BLAS matrix-vector product


def _linear(w, b, relu, final=False):
    """One row: W x as a matrix-vector product with W as it is (BLAS's
    fastest way round for one row), reading a whole tailed buffer [x, 0, 1]
    (a compiled conv's or linear's output) against [W | 0 | b] to take the
    bias in the same product. A few rows: x @ W^T, then the bias. Either way
    into a tailed buffer kept per input shape, unless the result is a model
    output (``final``): then a fresh array. More rows: fastnn's Linear kernel."""
    wt = np.ascontiguousarray(w.T)  # transposed once, here
    n_in, n_out = wt.shape
    wc = np.ascontiguousarray(w)
    wext = np.zeros((n_out, n_in + 2), w.dtype)
    wext[:, :n_in] = w
    if b is not None:
        wext[:, n_in + 1] = b
    be = get_backend(w)
    buffers = {}

    def out(rows):
        y = buffers.get(rows)
        if y is None:
            size = rows * n_out
            y = buffers[rows] = tailed_buffer(size, wt.dtype)[:size].reshape(-1, n_out)
        return y

    def step(x):
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]) if x.ndim != 2 else x
        rows = x2.shape[0]
        if x2.dtype != wt.dtype:  # mixed dtypes: NumPy's promotion, as before
            y = x2 @ wt
            if b is not None:
                y = y + b
        elif rows == 1:
            y = np.empty((1, n_out), wt.dtype) if final else out(1)
            base = source(x2)
            # a view of a tailed buffer never reaches into its tail, so a
            # contiguous row as long as the buffer's data is all of it
            if base is not None and base.size == n_in + 2 and x2.flags.c_contiguous:
                np.dot(wext, base, out=y[0])
            else:
                np.dot(wc, x2[0], out=y[0])
                if b is not None:
                    np.add(y, b, out=y)
        elif rows <= _FEW_ROWS:
            y = np.matmul(x2, wt) if final else np.matmul(x2, wt, out=out(rows))
            if b is not None:
                np.add(y, b, out=y)
        else:
            y = be.linear_forward(x2, w, b)[0]
        if relu:
            np.maximum(y, 0, out=y)
        return y.reshape(shape[:-1] + (n_out,)) if x.ndim != 2 else y
    return step


def _conv(node, w, b, relu, dims, pool=None):
    """groups 1: the fused gather + BLAS step (see _conv_step), with the max
    pooling ``pool`` (resolved attrs) when one is fused; other groups: the
    im2col + BLAS step below. Large inputs: the native conv."""
    a = {k: resolve(node.attrs[k], dims) for k in ("stride", "padding", "dilation", "groups")}
    be = get_backend(w)
    one_d = node.op == "conv1d"
    fwd = be.conv1d_forward if one_d else be.conv2d_forward

    def native(x):
        y = fwd(x, w, b, a["stride"], a["padding"], a["dilation"], a["groups"])[0]
        if relu:
            np.maximum(y, 0, out=y)
        return y
    if int(a["groups"]) != 1 or isinstance(a["padding"], str):
        return _conv_grouped(node, w, b, relu, a, native)

    def pair(v):
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        v = (1,) + v if one_d and len(v) == 1 else v
        return v if len(v) == 2 else v * 2
    (sh, sw), (dh, dw) = pair(a["stride"]), pair(a["dilation"])
    ph, pw = (0, pair(a["padding"])[1]) if one_d else pair(a["padding"])
    window, fallback = None, native
    if pool is not None:
        window = pool_window(pool)
        pooling = _max_pool(pool, lambda: get_backend(np.empty(0)).max_pool2d_forward)
        fallback = lambda x: pooling(native(x))[0]  # noqa: E731
    return ConvStep(w, b, (sh, sw, ph, pw, dh, dw), relu, window, fallback, one_d)


_SMALL_COLS = 8192  # batch * input pixels up to which im2col + BLAS beats the native conv


def _conv_grouped(node, w, b, relu, a, native):
    """Small inputs: im2col as one gather (an index table worked out once per
    input shape) from a zero-padded buffer kept from call to call, then one
    BLAS product with the weights packed once as [groups, out/groups,
    in/groups*kh*kw]. Larger ones: the native conv."""
    one_d = node.op == "conv1d"
    w4 = w[:, :, None, :] if one_d else w
    g = int(a["groups"])
    cout, cg, kh, kw = w4.shape
    wpack = np.ascontiguousarray(w4.reshape(g, cout // g, cg * kh * kw))
    bias = None if b is None else b.reshape(1, cout, 1)

    def pair(v):
        v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        v = (1,) + v if one_d and len(v) == 1 and v != () else v
        return v if len(v) == 2 else v * 2
    (sh, sw), (dh, dw) = pair(a["stride"]), pair(a["dilation"])
    (ph, pw) = (0, pair(a["padding"])[1]) if one_d else pair(a["padding"])
    prepared = {}  # input shape -> (padded buffer, im2col index table, im2col buffer, oh, ow)
    def prepare(shape):
        n, c, h, wd = shape
        oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), w.dtype)  # the border stays 0
        # im2col as a gather: the element number in xp of every col entry,
        # laid out [n, groups, cg*kh*kw, oh*ow], worked out once per shape
        e = np.arange(xp.size, dtype=np.intp).reshape(xp.shape)
        t = e.strides
        win = np.lib.stride_tricks.as_strided(
            e, (n, g, cg, kh, kw, oh, ow),
            (t[0], cg * t[1], t[1], dh * t[2], dw * t[3], sh * t[2], sw * t[3]))
        index = np.ascontiguousarray(win).reshape(-1)
        col = np.empty((n, g, cg * kh * kw, oh * ow), w.dtype)
        prepared[shape] = entry = (xp, index, col, oh, ow)
        return entry

    def blas(x):
        x4 = x[:, :, None, :] if one_d else x
        entry = prepared.get(x4.shape) or prepare(x4.shape)
        xp, index, col, oh, ow = entry
        n, _, h, wd = x4.shape
        xp[:, :, ph:ph + h, pw:pw + wd] = x4
        np.take(xp.reshape(-1), index, out=col.reshape(-1))
        y = np.matmul(wpack, col).reshape(n, cout, oh * ow)
        if bias is not None:
            y += bias
        if relu:
            np.maximum(y, 0, out=y)
        return y.reshape(n, cout, ow) if one_d else y.reshape(n, cout, oh, ow)

    def step(x):
        n = x.shape[0]
        if n * (x.shape[-1] if one_d else x.shape[-1] * x.shape[-2]) <= _SMALL_COLS:
            return blas(x)
        return native(x)
    return step


def pool_window(k):
    """(kh, kw) for a max pooling whose window is its stride, with no padding,
    dilation or ceil mode (the kind a conv step can fuse); else None."""
    size = k["kernel_size"]
    kh, kw = size if isinstance(size, (tuple, list)) else (size, size)
    stride = k["stride"] if k["stride"] not in (None, ()) else (kh, kw)
    sh, sw = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    if ((kh, kw) == (sh, sw) and k["padding"] in (0, (0, 0)) and k["dilation"] in (1, (1, 1))
            and not k["ceil_mode"]):
        return int(kh), int(kw)
    return None


def _max_pool(k, be_fwd):
    """A k x k window moving by k with no padding: a reshape and a max (no
    indices kept unless asked); anything else: the native kernel."""
    size = k["kernel_size"]
    kh, kw = size if isinstance(size, (tuple, list)) else (size, size)
    stride = k["stride"] if k["stride"] not in (None, ()) else (kh, kw)
    sh, sw = stride if isinstance(stride, (tuple, list)) else (stride, stride)
    pad, dil = k["padding"], k["dilation"]
    simple = ((kh, kw) == (sh, sw) and pad in (0, (0, 0)) and dil in (1, (1, 1)))

    def pool(x):
        n, c, h, w = x.shape
        if simple and h % kh == 0 and w % kw == 0:
            # the max of the kh*kw strided views, one per window tap
            y = x[:, :, 0::kh, 0::kw].copy()
            for i in range(kh):
                for j in range(kw):
                    if i or j:
                        np.maximum(y, x[:, :, i::kh, j::kw], out=y)
            return y, None
        y, saved = be_fwd()(x, k["kernel_size"], k["stride"], k["padding"], k["dilation"],
                            k["ceil_mode"])
        return y, saved.indices
    return pool


def _generic(node, consts, dims):
    """Call the op's own Function on Tensors (consts: arg index -> fixed Tensor)."""
    slots = [i for i, v in enumerate(node.inputs) if i not in consts]
    impl = node.impl

    def step(*arrays):
        vals = dict(consts)
        for i, a in zip(slots, arrays):
            vals[i] = Tensor._wrap(a)
        order = {id(v): vals[i] for i, v in enumerate(node.inputs)}
        args, kwargs = node.call_args(lambda v: order[id(v)], dims)
        with no_grad():
            out = impl(*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(o._data if isinstance(o, Tensor) else o for o in out)
        return out._data if isinstance(out, Tensor) else out
    return step


def pool_attrs(node, dims):
    return {n: resolve(node.attrs.get(n), dims)
            for n in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}


def make_step(node, fixed, dims, relu=False, pool=None, final=False):
    """(fn, indices of node.inputs read at run time) for ``node``; ``fixed``
    maps id(Value) -> array for weights and constants; ``pool``: the resolved
    attrs of a max pooling fused after a conv; ``final``: the step's output
    is a model output (so it should not land in a buffer the plan reuses)."""
    def arr(name):
        v = node.input(name)
        return None if v is None else fixed[id(v)]
    live = [i for i, v in enumerate(node.inputs) if id(v) not in fixed]
    if node.op == "linear" and live == [0] and node.input("w").shape and len(node.input("w").shape) == 2:
        return _linear(arr("w"), arr("b"), relu, final), live
    if node.op in ("conv1d", "conv2d") and live == [0]:
        return _conv(node, arr("w"), arr("b"), relu, dims, pool), live
    if node.op == "relu" and live == [0]:
        return (lambda x: np.maximum(x, 0)), live
    if node.op == "reshape" and live == [0]:
        shape = tuple(resolve(node.attrs["shape"], dims))
        return (lambda x: x.reshape(shape)), live
    if node.op == "max_pool2d" and live == [0] and len(node.outputs[1:]) <= 1:
        k = pool_attrs(node, dims)
        return _max_pool(k, lambda: get_backend(np.empty(0)).max_pool2d_forward), live
    consts = {i: Tensor._wrap(fixed[id(v)]) for i, v in enumerate(node.inputs) if id(v) in fixed}
    return _generic(node, consts, dims), live
