"""Module.__call__ with hooks: forward pre-hooks, forward hooks (PyTorch's prepend,
with_kwargs and always_call options) and full backward hooks.

A full backward hook sees the gradients at the module's boundary: its tensor
inputs pass through one identity Function (_BoundaryIn) before forward and its
tensor outputs through another (_BoundaryOut) after it. In backward,
_BoundaryOut records grad_output (and runs the backward pre-hooks, which may
replace it); _BoundaryIn then holds grad_input, calls each
``hook(module, grad_input, grad_output)`` and passes on what they return. When no
input requires grad, the hooks run from _BoundaryOut with grad_input all None,
as in PyTorch.
"""
from ...autograd.function import Function


class _State:
    """What the two boundary Functions of one call share."""

    def __init__(self, module, n_inputs):
        self.module = module
        self.n_inputs = n_inputs
        self.grad_output = None
        self.done = False


def _tuple(gs):
    return tuple(gs) if isinstance(gs, (tuple, list)) else (gs,)


def _tensors(arrays):
    """Gradients as the hooks see them: Tensors (or None), as in PyTorch."""
    from ..._tensor import Tensor
    return tuple(None if a is None else Tensor._wrap(a) for a in arrays)


def _arrays(values):
    """A hook's replacement gradients back to arrays."""
    from ..._tensor import Tensor
    return tuple(v._data if isinstance(v, Tensor) else v for v in _tuple(values))


class _BoundaryOut(Function):
    def forward(self, *arrays, state=None):
        self.state = state
        return tuple(a.view() for a in arrays)  # identity; fresh objects for the outputs

    def backward(self, *grads):
        st = self.state
        m = st.module
        pre = tuple(m.__dict__.get("_backward_pre_hooks", {}).values())
        grads = tuple(grads)
        for hook in pre:
            result = hook(m, _tensors(grads))
            if result is not None:
                grads = _arrays(result)
        st.grad_output = grads
        if st.n_inputs == 0:  # nothing upstream needs a gradient: the hooks run now
            st.done = True
            for hook in tuple(m.__dict__.get("_backward_hooks", {}).values()):
                hook(m, (None,), _tensors(grads))
        return grads


class _BoundaryIn(Function):
    def forward(self, *arrays, state=None):
        self.state = state
        return tuple(a.view() for a in arrays)  # identity; fresh objects for the outputs

    def backward(self, *grads):
        st = self.state
        m = st.module
        grads = tuple(grads)
        if not st.done:
            st.done = True
            for hook in tuple(m.__dict__.get("_backward_hooks", {}).values()):
                result = hook(m, _tensors(grads), _tensors(st.grad_output))
                if result is not None:
                    result = _arrays(result)
                    if len(result) != len(grads):
                        raise RuntimeError(f"backward hook returned {len(result)} gradients for "
                                           f"{len(grads)} inputs")
                    grads = result
        return grads


def _wrap_tensors(values, fn_class, state, only_grad):
    """values with their (grad-requiring) Tensors passed through fn_class, one call."""
    from ..._tensor import Tensor
    idx = [i for i, v in enumerate(values) if isinstance(v, Tensor)
           and (v.requires_grad or not only_grad) and v._data.dtype.kind == "f"]
    if not idx:
        return values, 0
    outs = fn_class.apply(*[values[i] for i in idx], state=state)
    values = list(values)
    for i, o in zip(idx, outs):
        values[i] = o
    return values, len(idx)


def call_with_hooks(module, args, kwargs):
    d = module.__dict__
    with_kwargs = d.get("_forward_pre_hooks_with_kwargs", ())
    for hid, hook in tuple(module._forward_pre_hooks.items()):
        if hid in with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("forward pre-hook with_kwargs=True must return None or a "
                                       "tuple of (new_args, new_kwargs)")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = bool(d.get("_backward_hooks")) or bool(d.get("_backward_pre_hooks"))
    state = None
    if backward:
        from ...autograd import grad_mode
        if grad_mode.is_grad_enabled():
            state = _State(module, 0)
            args, state.n_inputs = _wrap_tensors(args, _BoundaryIn, state, only_grad=True)
            args = tuple(args)
    always = d.get("_forward_hooks_always_called", ())
    try:
        out = module.forward(*args, **kwargs)
    except Exception:
        for hid, hook in tuple(module._forward_hooks.items()):
            if hid in always:
                hook(module, args, None)
        raise
    hooks_kw = d.get("_forward_hooks_with_kwargs", ())
    for hid, hook in tuple(module._forward_hooks.items()):
        result = hook(module, args, kwargs, out) if hid in hooks_kw else hook(module, args, out)
        if result is not None:
            out = result
    if state is not None:
        from ..._tensor import Tensor
        single = isinstance(out, Tensor)
        outs, n = _wrap_tensors((out,) if single else tuple(out) if isinstance(out, (tuple, list))
                                else (out,), _BoundaryOut, state, only_grad=True)
        if n:
            out = outs[0] if single else type(out)(outs) if isinstance(out, (tuple, list)) \
                else outs[0]
    return out
