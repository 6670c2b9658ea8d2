"""fastnn.compile and the callable it returns (see __init__ for the idea)."""
import threading
import warnings

import numpy as np

from ..autograd import no_grad
from .._tensor import Tensor
from ..graph.ir import resolve
from . import _native
from ._conv_step import source
from ._steps import make_step, pool_attrs, pool_window

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_BACKENDS = (None, "fastnn", "inductor", "eager", "aot_eager")


def _flatten_nhwc(x):
    """[n, c, h, w] -> [n, h*w*c]: a view when x is a channels-last buffer."""
    return x.transpose(0, 2, 3, 1).reshape(x.shape[0], -1)


class _Plan:
    """The steps for one input shape: a flat list run over a list of slots."""

    def __init__(self, graph, dims):
        fixed = {}
        for group in (graph.params, graph.buffers):
            for name, v in group.items():
                fixed[id(v)] = graph.tensors[name].detach().numpy()
        for v in graph.constants:
            fixed[id(v)] = v.data
        slot = {id(v): i for i, v in enumerate(graph.inputs)}
        n_slots = len(graph.inputs)
        users = {}
        for node in graph.nodes:
            for v in node.inputs:
                users.setdefault(id(v), []).append(node)
        outputs = {id(v) for v in graph.outputs}
        fused = set()

        def only_user(v, op):
            # the one node reading v, if it is an ``op`` and v is no graph output
            after = users.get(id(v), [])
            if len(after) == 1 and after[0].op == op and id(v) not in outputs:
                return after[0]
            return None
        self.steps = []
        channels_last = set()  # Values a fused conv step hands on as NCHW views
        permuted = {}  # id(linear node) -> its weight, columns in channels-last order
        native_conv = {}  # id(Value) -> the native conv step making it
        native_linear = {}  # id(linear node) -> its native step, decided at the flatten
        for node in graph.nodes:
            if id(node) in fused:
                continue
            flat = self._native_flatten(node, native_conv, only_user, fixed, dims)
            if flat is not None:
                op, linear, lin_op = flat
                native_linear[id(linear)] = lin_op
                v = node.outputs[0]
                slot[id(v)] = n_slots
                n_slots += 1
                self.steps.append((op, (slot[id(node.inputs[0])],), (slot[id(v)],)))
                continue
            flat = self._flatten_channels_last(node, channels_last, only_user, fixed, dims)
            if flat is not None:
                linear, w = flat
                permuted[id(linear)] = w
                v = node.outputs[0]
                slot[id(v)] = n_slots
                n_slots += 1
                self.steps.append((_flatten_nhwc, (slot[id(node.inputs[0])],), (slot[id(v)],)))
                continue
            relu = pool = pool_node = None
            if node.op in ("linear", "conv1d", "conv2d"):
                relu = only_user(node.outputs[0], "relu")
            if node.op == "conv2d" and resolve(node.attrs.get("groups", 1), dims) == 1:
                last = (relu or node).outputs[0]
                pool_node = only_user(last, "max_pool2d")
                if pool_node is not None:
                    pool = pool_attrs(pool_node, dims)
                    idx = pool_node.outputs[1:]
                    if pool_window(pool) is None or any(
                            users.get(id(v)) or id(v) in outputs for v in idx):
                        pool = pool_node = None
            outs = (pool_node.outputs[:1] if pool_node is not None
                    else relu.outputs if relu is not None else node.outputs)
            consts = fixed
            if id(node) in permuted:
                consts = dict(fixed)
                consts[id(node.input("w"))] = permuted[id(node)]
            native = native_linear.get(id(node)) or self._native_step(
                node, consts, dims, relu is not None, pool and pool_window(pool))
            if native is not None:
                fn, live = native, [0]
                if native.kind == "Conv":
                    native_conv[id(outs[0])] = native
            else:
                fn, live = make_step(node, consts, dims, relu=relu is not None, pool=pool,
                                     final=any(id(v) in outputs for v in outs))
                if node.op == "conv2d" and resolve(node.attrs.get("groups", 1), dims) == 1:
                    channels_last.add(id(outs[0]))
            ins = tuple(slot[id(node.inputs[i])] for i in live)
            for extra in (relu, pool_node):
                if extra is not None:
                    fused.add(id(extra))
            for v in outs:
                slot[id(v)] = n_slots
                n_slots += 1
            self.steps.append((fn, ins, tuple(slot[id(v)] for v in outs)))
        self.n_slots = n_slots
        self.out_slots = [slot[id(v)] if id(v) in slot else None for v in graph.outputs]
        self.steps = _native.merge(self.steps, self.out_slots)
        self.out_fixed = [fixed.get(id(v)) for v in graph.outputs]
        # one input, single-array steps: the tight loop in run_chain
        self.chain = None
        if len(graph.inputs) == 1 and all(
                len(ins) == 1 and len(outs) == 1 for _, ins, outs in self.steps):
            chain, cur = [], 0
            for fn, ins, outs in self.steps:
                if ins[0] != cur:
                    break
                chain.append(fn)
                cur = outs[0]
            else:
                if self.out_slots == [cur] and graph.output_tree == 0:
                    self.chain = chain

    @staticmethod
    def _native_step(node, consts, dims, relu, window):
        """The fused kernels' step for a conv (+ReLU, + the pool ``window``)
        or a linear (+ReLU) reading one array, if the rule in _native allows."""
        live = [v for v in node.inputs if id(v) not in consts]
        if len(live) != 1 or live[0] is not node.inputs[0]:
            return None
        x = node.inputs[0]
        shape = tuple(resolve(x.shape, dims))
        w = consts.get(id(node.input("w")))
        bv = node.input("b")
        b = consts.get(id(bv)) if bv is not None else None
        if w is None or (bv is not None and b is None):
            return None
        if node.op == "linear":
            return _native.linear_op(w, b, shape, x.dtype, relu)
        if node.op not in ("conv1d", "conv2d") or len(shape) != (3 if node.op == "conv1d" else 4):
            return None
        attrs = {k: resolve(node.attrs[k], dims) for k in ("stride", "padding", "dilation", "groups")}
        one_d = node.op == "conv1d"
        geo = _native.conv_geometry(attrs, one_d)
        if geo is None or w.ndim != (3 if one_d else 4):
            return None
        return _native.conv_op(w[:, :, None, :] if one_d else w, b, shape, x.dtype, geo,
                               window, relu)

    def _native_flatten(self, node, native_conv, only_user, fixed, dims):
        """A flatten of a native conv's output whose one reader is a Linear
        the fused kernels take with its weight's columns in channels-last
        order: (the flatten step, the linear node, the linear's step)."""
        if node.op != "reshape" or id(node.inputs[0]) not in native_conv:
            return None
        x = node.inputs[0]
        shape = tuple(resolve(x.shape, dims))
        target = tuple(resolve(node.attrs["shape"], dims))
        if len(shape) != 4 or len(target) != 2 or target[0] != shape[0] \
                or target[1] not in (-1, shape[1] * shape[2] * shape[3]):
            return None
        linear = only_user(node.outputs[0], "linear")
        if linear is None or linear.input("x") is not node.outputs[0]:
            return None
        w = fixed.get(id(linear.input("w")))
        if w is None or w.ndim != 2 or w.shape[1] != shape[1] * shape[2] * shape[3]:
            return None
        consts = dict(fixed)
        consts[id(linear.input("w"))] = np.ascontiguousarray(
            w.reshape(w.shape[0], *shape[1:]).transpose(0, 2, 3, 1).reshape(w.shape[0], -1))
        relu = only_user(linear.outputs[0], "relu") is not None
        op = self._native_step(linear, consts, dims, relu, None)
        if op is None:
            return None
        return _native.flatten_op(shape, x.dtype), linear, op

    @staticmethod
    def _flatten_channels_last(node, channels_last, only_user, fixed, dims):
        """A flatten of a fused conv step's output whose one reader is a
        Linear: flatten in the memory's (channels-last) order instead, a view
        rather than a copy, and give the Linear its weight's columns in that
        order. Returns (the linear node, its permuted weight), or None."""
        if node.op != "reshape" or id(node.inputs[0]) not in channels_last:
            return None
        x = node.inputs[0]
        shape = tuple(resolve(x.shape, dims))
        target = tuple(resolve(node.attrs["shape"], dims))
        if len(shape) != 4 or len(target) != 2 or target[0] != shape[0]:
            return None
        features = shape[1] * shape[2] * shape[3]
        if target[1] not in (-1, features):
            return None
        linear = only_user(node.outputs[0], "linear")
        if linear is None or linear.input("x") is not node.outputs[0]:
            return None
        wv = linear.input("w")
        w = fixed.get(id(wv)) if wv is not None else None
        if w is None or w.ndim != 2 or w.shape[1] != features:
            return None
        w = w.reshape(w.shape[0], shape[1], shape[2], shape[3]).transpose(0, 2, 3, 1)
        return linear, np.ascontiguousarray(w.reshape(w.shape[0], features))

    def run_chain(self, x):
        """A model that is a chain of one-array steps (most feed-forward ones)
        with one output: that output, off the plan's buffers."""
        for fn in self.chain:
            x = fn(x)
            if type(x) is tuple:
                x = x[0]
        return x.copy() if source(x) is not None else x

    def run(self, arrays):
        if self.chain is not None:
            return [self.run_chain(arrays[0])]
        r = [None] * self.n_slots
        r[:len(arrays)] = arrays
        for fn, ins, outs in self.steps:
            res = fn(*[r[i] for i in ins])
            if len(outs) == 1:
                r[outs[0]] = res[0] if isinstance(res, tuple) else res
            else:
                for o, a in zip(outs, res):
                    r[o] = a
        out = [r[s] if s is not None else c for s, c in zip(self.out_slots, self.out_fixed)]
        # an output in (or a view of) a buffer the next call overwrites is copied
        return [a.copy() if isinstance(a, np.ndarray) and source(a) is not None else a
                for a in out]


class CompiledModel:
    """What ``fastnn.compile`` returns: call it like the model (eval-mode outputs)."""

    def __init__(self, model, fullgraph=False):
        self.model = model
        self.fullgraph = fullgraph
        self.graph = None
        self.fallback = False
        self._plans = {}
        self._lock = threading.Lock()

    def _capture(self, tensors):
        from ..graph import trace
        try:
            self.graph = trace(self.model, tuple(tensors))
        except Exception as e:  # anything the tracer cannot capture
            if self.fullgraph:
                raise
            warnings.warn(f"fastnn.compile: the model could not be captured as a graph "
                          f"({type(e).__name__}: {e}); running the module as it is",
                          RuntimeWarning, stacklevel=3)
            self.fallback = True

    def _run_module(self, tensors):
        was = getattr(self.model, "training", None)
        if was:
            self.model.eval()
        try:
            with no_grad():
                return self.model(*tensors)
        finally:
            if was:
                self.model.train()

    def __call__(self, *inputs):
        if len(inputs) == 1 and type(inputs[0]) is Tensor:
            # the fast path: one Tensor in, a plan already made that is a chain
            a = inputs[0]._data
            plan = self._plans.get((a.shape, a.dtype))
            if plan is not None and plan.chain is not None:
                with self._lock:
                    y = plan.run_chain(a)
                return Tensor._wrap(y)
        tensors = [x if isinstance(x, Tensor) else Tensor(np.asarray(x)) for x in inputs]
        if self.graph is None and not self.fallback:
            self._capture(tensors)
        if self.fallback:
            return self._run_module(tensors)
        arrays = [t._data for t in tensors]
        key = tuple((a.shape, a.dtype) for a in arrays)
        key = key[0] if len(key) == 1 else key
        plan = self._plans.get(key)
        if plan is None:
            dims = self.graph.bind_dims([a.shape for a in arrays])
            for a, v in zip(arrays, self.graph.inputs):
                if a.dtype != v.dtype:
                    raise TypeError(f"input {v.name!r}: expected dtype {v.dtype}, got {a.dtype}")
            plan = self._plans[key] = _Plan(self.graph, dims)
        with self._lock:  # one call at a time: steps may reuse the arrays they hold
            flat = plan.run(arrays)
        flat = [Tensor._wrap(a) for a in flat]

        def build(tree):
            if isinstance(tree, tuple):
                return tuple(build(t) for t in tree)
            return flat[tree]
        return build(self.graph.output_tree)

    def __repr__(self):
        return f"CompiledModel({type(self.model).__name__})"


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,
            options=None, disable=False):
    """Compile ``model`` (a Module or a function of Tensors) for inference.

    Arguments follow ``torch.compile``: ``mode`` one of None, "default",
    "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs" (all
    compile the same plan here); ``fullgraph=True`` makes a capture failure an
    error instead of a warning and a fallback; ``dynamic`` is accepted (the
    batch dim is always symbolic); ``backend`` None, "fastnn" or "inductor"
    (the plan), or "eager"/"aot_eager" (run the module as it is);
    ``options`` a dict (no options are read); ``disable=True`` returns
    ``model`` itself. Without a model, returns a decorator.

    The result computes the model's eval-mode outputs without autograd, at any
    batch size. The weights are read when the plan for an input shape is
    built: after changing them, compile again.
    """
    if mode not in _MODES:
        raise ValueError(f"mode: expected one of {_MODES}, got {mode!r}")
    if backend not in _BACKENDS:
        raise ValueError(f"backend: expected one of {_BACKENDS}, got {backend!r}")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options: expected a dict or None, got {type(options).__name__}")
    if dynamic not in (None, True, False):
        raise TypeError(f"dynamic: expected None, True or False, got {dynamic!r}")
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if not callable(model):
        raise TypeError(f"model: expected a Module or a callable, got {type(model).__name__}")
    if disable:
        return model
    compiled = CompiledModel(model, fullgraph=fullgraph)
    if backend in ("eager", "aot_eager"):
        compiled.fallback = True
    return compiled
