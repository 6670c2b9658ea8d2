"""PyTorch's form of a user-defined autograd Function, on fastnn's graph.

A subclass of ``fastnn.autograd.Function`` written as in PyTorch::

    class Exp(fastnn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    y = Exp.apply(x)

is told apart from fastnn's internal ops (whose ``forward(self, *arrays)`` is a
plain method working on arrays) by its static ``forward``. ``apply`` then runs
here: forward sees Tensors under no_grad, and a ``CustomNode`` -- the ``ctx``
object -- becomes the outputs' ``grad_fn``. The graph walk calls the node like
any internal op; the node hands Tensors to the user's static ``backward``.

The ``setup_context`` form (``forward(*args)`` without ctx, plus
``setup_context(ctx, inputs, output)``) works too.
"""
import importlib

import numpy as np

from . import grad_mode
from .function import Function

_Tensor = None  # fastnn.tensor.Tensor, bound on first use (import cycle)


def _tensor_class():
    global _Tensor
    if _Tensor is None:
        from .._tensor import Tensor
        _Tensor = Tensor
    return _Tensor


class CustomNode(Function):
    """The ``ctx`` of a PyTorch-style Function, and the grad_fn of its outputs."""

    def __init__(self, fn_cls, needs_input_grad):
        self._fn_cls = fn_cls
        self.needs_input_grad = tuple(needs_input_grad)
        self.to_save = ()
        self._non_differentiable = set()
        self._dirty = set()
        self._materialize_grads = True
        self._out_meta = ()

    # --- what PyTorch's ctx offers -------------------------------------------------------
    def save_for_backward(self, *tensors):
        Tensor = _tensor_class()
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save Tensors (or None), got "
                                f"{type(t).__name__}")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        return tuple(self.to_save)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    # --- the graph walk's side ---------------------------------------------------------
    def forward(self, *args, **kwargs):  # pragma: no cover - apply() never calls it
        raise RuntimeError("a custom Function's node is not called forward; use Cls.apply")

    def backward(self, *grads):
        Tensor = _tensor_class()
        gs = []
        for g, meta in zip(grads, self._out_meta):
            if g is None:
                if self._materialize_grads and meta is not None:
                    shape, dtype, xp = meta
                    g = xp.zeros(shape, dtype)
                else:
                    gs.append(None)
                    continue
            gs.append(Tensor._wrap(g))
        result = self._fn_cls.backward(self, *gs)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.inputs)
        if len(result) < n or any(r is not None for r in result[n:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        out = []
        for k, r in enumerate(result[:n]):
            if r is None or not self.needs_input_grad[k]:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(f"function {self.name()}: backward must return Tensors or None, "
                                f"got {type(r).__name__} for input {k}")
            a = self.inputs[k]
            g = r._data
            if g.shape != a._data.shape:
                if g.size == a._data.size or _broadcastable(a._data.shape, g.shape):
                    # PyTorch sums a broadcast gradient back and reshapes a same-sized one
                    g = _unbroadcast(g, a._data.shape)
                else:
                    raise RuntimeError(f"function {self.name()} returned an invalid gradient at "
                                       f"index {k} - got {list(g.shape)} but expected shape "
                                       f"compatible with {list(a._data.shape)}")
            if g.dtype != a._data.dtype:
                g = g.astype(a._data.dtype)
            out.append(g)
        return tuple(out)

    def name(self):
        return self._fn_cls.__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"


def _broadcastable(target, shape):
    if len(shape) < len(target):
        return False
    lead = len(shape) - len(target)
    return all(t == s or t == 1 for t, s in zip(target, shape[lead:]))


def _unbroadcast(g, shape):
    if g.size == int(np.prod(shape)) and not _broadcastable(shape, g.shape):
        return g.reshape(shape)
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _node_class(cls):
    """A CustomNode subclass named after the user's Function, so a tensor prints
    ``grad_fn=<ExpBackward0>`` as it would for a built-in op."""
    node = cls.__dict__.get("_fastnn_node")
    if node is None:
        node = type(cls.__name__, (CustomNode,), {"__module__": cls.__module__})
        type.__setattr__(cls, "_fastnn_node", node)
    return node


def _array_module(a):
    if isinstance(a, np.ndarray):
        return np
    return importlib.import_module(type(a).__module__.split(".")[0])  # cupy


def uses_ctx_setup(cls):
    """Whether ``cls`` is written in the setup_context form (forward has no ctx)."""
    return cls.setup_context is not Function.setup_context


def apply(cls, args, kwargs):
    """Run PyTorch-style ``cls.forward`` and record a CustomNode (Function.apply's other half)."""
    Tensor = _tensor_class()
    record = grad_mode._state.record
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = _node_class(cls)(cls, needs if record else (False,) * len(args))
    setup = uses_ctx_setup(cls)
    with grad_mode.no_grad():
        out = cls.forward(*args, **kwargs) if setup else cls.forward(ctx, *args, **kwargs)
        if setup:
            cls.setup_context(ctx, args, out)
    if not (record and any(needs)):
        return out
    ctx.edges = [(a._ctx, a._out_index) if isinstance(a, Tensor) else None for a in args]
    ctx.inputs = args
    outs = out if isinstance(out, tuple) else (out,)
    ctx.n_outputs = len(outs)
    wrapped, meta = [], []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            wrapped.append(o)
            meta.append(None)
            continue
        meta.append((o._data.shape, o._data.dtype, _array_module(o._data)))
        if id(o) in ctx._dirty:
            # modified in place and returned: the same object takes the new history
            if o.requires_grad and o._ctx is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            t = o
        else:
            t = Tensor._wrap(o._data)  # a new Tensor even when forward returned an input
        if id(o) not in ctx._non_differentiable and o._data.dtype.kind in "fc":
            t.requires_grad = True
            t._ctx = ctx
            t._out_index = i
        wrapped.append(t)
    ctx._out_meta = tuple(meta)
    return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]


def once_differentiable(fn):
    """PyTorch's decorator for backward functions; fastnn never differentiates a backward."""
    return fn
