"""Function: one differentiable operation, forward and backward side by side.

(This is fastnn's internal form. A subclass written in PyTorch's form -- static
``forward(ctx, ...)`` / ``backward(ctx, ...)`` on Tensors -- is also accepted:
see custom_function.py.)

A Function subclass implements

    forward(self, *args, **kwargs) -> array or tuple of arrays
    backward(self, *grad_outputs)  -> one gradient (or None) per positional arg

working on plain arrays (NumPy or CuPy): ``apply`` unwraps Tensor arguments to
their ``._data``, calls ``forward``, wraps the results, and -- when grad mode is
on and an input requires grad -- records itself as their ``grad_fn``.
``self.needs_input_grad[i]`` says whether positional arg ``i`` needs a gradient,
so backward can skip work. Anything backward needs is stored on ``self``.
A grad_output of an unused output of a multi-output Function is None.
Outputs whose dtype is not floating point (indices, masks) never require grad.

``run_backward`` walks the recorded graph in reverse topological order,
summing gradients that meet at a tensor, and accumulates into leaf ``.grad``.
"""
import inspect

from . import grad_mode
from . import hooks as _hooks

# fastnn.tensor sets this once it has defined Tensor; apply() runs on every op,
# so it must not pay for an import per call.
_Tensor = None

# needs_input_grad of an unrecorded call, by argument count
_NO_GRADS = tuple((False,) * n for n in range(12))

# The calling thread's grad mode (a threading.local), bound once: apply() reads it
# on every op.
_grad_state = grad_mode._state

# fastnn.graph's tracer sets this while it captures a forward: every op is then
# handed to it (it records the call and runs it with the hook cleared).
_trace_hook = None


class Function:
    """Base class of differentiable operations (see module docstring)."""

    # Set by apply() on recorded nodes
    inputs = ()            # positional args as given (Tensors and others)
    edges = ()             # per input: (grad_fn, output index) when recorded, else None
    needs_input_grad = ()
    n_outputs = 1

    # True for a subclass written in PyTorch's form (static forward(ctx, ...)):
    # apply() hands those to custom_function.py.
    _torch_style = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._torch_style = isinstance(inspect.getattr_static(cls, "forward"), staticmethod)

    @staticmethod
    def setup_context(ctx, inputs, output):  # pragma: no cover - PyTorch form, overridden
        raise NotImplementedError

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        if _trace_hook is not None:
            return _trace_hook(cls, args, kwargs)
        if cls._torch_style:
            return _custom.apply(cls, args, kwargs)
        Tensor = _Tensor
        ctx = cls.__new__(cls)
        if _grad_state.record:
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    return ctx._apply_recorded(args, kwargs)
        # Nothing to record (no_grad, or no input needs a gradient): the common
        # inference path, kept to one pass over the arguments.
        n = len(args)
        ctx.needs_input_grad = _NO_GRADS[n] if n < len(_NO_GRADS) else (False,) * n
        out = ctx.forward(*[a._data if isinstance(a, Tensor) else a for a in args], **kwargs)
        wrap = Tensor._wrap
        if type(out) is tuple:
            return tuple([wrap(o) for o in out])
        return wrap(out)

    def _apply_recorded(self, args, kwargs):
        Tensor = _Tensor
        ctx = self
        raw = []
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a._data)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        # Edges are fixed now: an in-place op may later rebind an input
        # Tensor to a new grad_fn, and this node must still reach the old one.
        ctx.edges = [(a._ctx, a._out_index) if isinstance(a, Tensor) else None for a in args]
        ctx.needs_input_grad = needs
        out = ctx.forward(*raw, **kwargs)
        wrap = Tensor._wrap
        ctx.inputs = args
        if type(out) is tuple:
            outs = tuple(wrap(o) for o in out)
            ctx.n_outputs = len(outs)
            for i, t in enumerate(outs):
                if t._data.dtype.kind in "fc":
                    t.requires_grad = True
                    t._ctx = ctx
                    t._out_index = i
            return outs
        t = wrap(out)
        t.requires_grad = True
        t._ctx = ctx
        return t

    @property
    def next_functions(self):
        return tuple(e if e is not None else (None, 0) for e in self.edges)

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _add(acc, g):
    return g if acc is None else acc + g


def run_backward(root, grad):
    """Backpropagate ``grad`` (an array shaped like ``root``) through root's graph."""
    start = root._ctx
    if start is None:
        if root.requires_grad:
            root._accumulate(grad)
            if _hooks.live():
                _hooks.fire(root)
        return
    # Iterative DFS for a topological order: deep graphs (long RNN unrolls)
    # must not hit Python's recursion limit.
    # A node is marked when it is expanded (not when pushed), so it lands in
    # `order` after every node below it, however many paths lead to it.
    order = []
    visited = set()
    stack = [(start, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for e in node.edges:
            if e is not None and e[0] is not None and id(e[0]) not in visited:
                stack.append((e[0], False))

    # leaves with post-accumulate-grad hooks, and how many uses each waits for
    watched = _hooks.watch(order) if _hooks.live() else None
    pending = {id(start): [None] * start.n_outputs}
    pending[id(start)][root._out_index] = grad
    if root._retains_grad:
        root._accumulate(grad)
    with grad_mode.set_grad_enabled(False):
        for node in reversed(order):
            grads_out = pending.pop(id(node), None)
            if grads_out is None or all(g is None for g in grads_out):
                if watched:
                    _hooks.node_done(watched, node, None)
                continue
            grads_in = node.backward(*grads_out)
            if not isinstance(grads_in, tuple):
                grads_in = (grads_in,)
            if len(grads_in) != len(node.inputs):
                raise RuntimeError(f"{type(node).__name__}.backward returned {len(grads_in)} "
                                   f"gradients for {len(node.inputs)} inputs")
            for a, e, g, need in zip(node.inputs, node.edges, grads_in, node.needs_input_grad):
                if g is None or not need:
                    continue
                if g.shape != a._data.shape:
                    raise RuntimeError(f"{type(node).__name__}.backward: gradient of shape {g.shape} "
                                       f"for an input of shape {a._data.shape}")
                fn, idx = e
                if fn is None:
                    a._accumulate(g)
                else:
                    if a._retains_grad and a._ctx is fn:
                        a._accumulate(g)
                    slot = pending.setdefault(id(fn), [None] * fn.n_outputs)
                    slot[idx] = _add(slot[idx], g)
            if watched:
                _hooks.node_done(watched, node, grads_in)


from . import custom_function as _custom  # noqa: E402 -- imports Function from here
once_differentiable = _custom.once_differentiable  # torch.autograd.function's names
FunctionCtx = BackwardCFunction = _custom.CustomNode
