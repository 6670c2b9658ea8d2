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
from ..tensor import Tensor

_FEW_ROWS = 4  # at most this many rows a Linear is a BLAS matrix-vector product


def _linear(w, b, relu):
    wt = np.ascontiguousarray(w.T)  # transposed once, here
    be = get_backend(w)

    def step(x):
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]) if x.ndim != 2 else x
        if x2.shape[0] <= _FEW_ROWS:
            y = x2 @ wt
            if b is not None:
                y += b
        else:
            y = be.linear_forward(x2, w, b)[0]
        if relu:
            np.maximum(y, 0, out=y)
        return y.reshape(shape[:-1] + (w.shape[0],)) if x.ndim != 2 else y
    return step


def _conv(node, w, b, relu, dims):
    a = {k: resolve(node.attrs[k], dims) for k in ("stride", "padding", "dilation", "groups")}
    be = get_backend(w)
    fwd = be.conv1d_forward if node.op == "conv1d" else be.conv2d_forward

    def step(x):
        y = fwd(x, w, b, a["stride"], a["padding"], a["dilation"], a["groups"])[0]
        if relu:
            np.maximum(y, 0, out=y)
        return y
    return step


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


def make_step(node, fixed, dims, relu=False):
    """(fn, indices of node.inputs read at run time) for ``node``; ``fixed``
    maps id(Value) -> array for weights and constants."""
    def arr(name):
        v = node.input(name)
        return None if v is None else fixed[id(v)]
    live = [i for i, v in enumerate(node.inputs) if id(v) not in fixed]
    if node.op == "linear" and live == [0] and node.input("w").shape and len(node.input("w").shape) == 2:
        return _linear(arr("w"), arr("b"), relu), live
    if node.op in ("conv1d", "conv2d") and live == [0]:
        return _conv(node, arr("w"), arr("b"), relu, dims), live
    if node.op == "relu" and live == [0]:
        return (lambda x: np.maximum(x, 0)), live
    if node.op == "reshape" and live == [0]:
        shape = tuple(resolve(node.attrs["shape"], dims))
        return (lambda x: x.reshape(shape)), live
    if node.op == "max_pool2d" and live == [0]:
        k = {n: resolve(node.attrs.get(n), dims)
             for n in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
        be_fwd = None

        def pool(x):
            nonlocal be_fwd
            if be_fwd is None:
                be_fwd = get_backend(x).max_pool2d_forward
            y, saved = be_fwd(x, k["kernel_size"], k["stride"], k["padding"], k["dilation"],
                              k["ceil_mode"])
            return y, saved[0]
        return pool, live
    consts = {i: Tensor._wrap(fixed[id(v)]) for i, v in enumerate(node.inputs) if id(v) in fixed}
    return _generic(node, consts, dims), live
