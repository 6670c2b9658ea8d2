"""Module hooks: their registration (RemovableHandle, the register_*_hook methods
Module inherits from _HookMixin) and Module.__call__ with hooks: forward pre-hooks,
forward hooks (PyTorch's prepend, with_kwargs and always_call options) and full
backward hooks.

A full backward hook sees the gradients at the module's boundary: its tensor
inputs pass through one identity Function (_BoundaryIn) before forward and its
tensor outputs through another (_BoundaryOut) after it. In backward,
_BoundaryOut records grad_output (and runs the backward pre-hooks, which may
replace it); _BoundaryIn then holds grad_input, calls each
``hook(module, grad_input, grad_output)`` and passes on what they return. When no
input requires grad, the hooks run from _BoundaryOut with grad_input all None,
as in PyTorch.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable

from ...autograd.function import Function

if TYPE_CHECKING:
    from collections.abc import Iterable, MutableMapping


class RemovableHandle:
    """A handle returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook.

    Also a context manager: the hook is removed on leaving the ``with`` block.

    Args:
        hooks_dict (dict): the module's hook table the hook was added to.
        *extra (set): side sets that hold the hook's id as a flag (with_kwargs,
            always_call); ``remove()`` clears those too.

    Attributes:
        id (int): the hook's key in ``hooks_dict``, unique in the process.

    Example::

        >>> lin = nn.Linear(2, 2)
        >>> seen = []
        >>> handle = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = lin(fastnn.ones(3, 2))
        >>> handle.remove()
        >>> _ = lin(fastnn.ones(5, 2))
        >>> seen
        [(3, 2)]
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict: MutableMapping[int, Any], *extra: set[int]) -> None:
        self._hooks = hooks_dict
        self._extra = extra  # sets holding this id as a flag (with_kwargs, always_call)
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        self._hooks.pop(self.id, None)
        for flags in self._extra:
            flags.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class _HookMixin:
    """The hook-registration methods of Module (the hook tables live in its __dict__)."""

    def _add_hook(self, store: str, hook: Callable[..., Any], prepend: bool = False,
                  flags: Iterable[str] = ()) -> RemovableHandle:
        """Register hook in the dict named ``store``; ``flags`` names the side sets
        (with_kwargs, always_call) that hold its id."""
        d = self.__dict__
        if store not in d:
            d[store] = OrderedDict()
        hooks = d[store]
        sets = [d.setdefault(f, set()) for f in flags]
        handle = RemovableHandle(hooks, *sets)
        hooks[handle.id] = hook
        for s in sets:
            s.add(handle.id)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Register a hook that runs every time after :meth:`forward` has computed an output.

        The hook is called as ``hook(module, args, output)`` (with ``with_kwargs``:
        ``hook(module, args, kwargs, output)``), ``args`` being the positional
        arguments of the call; if it returns something other than None, that
        replaces the output.

        Args:
            hook (Callable): the function to call.
            prepend (bool): run it before the hooks already registered instead of
                after them. Default: ``False``
            with_kwargs (bool): also pass the keyword arguments of the call.
                Default: ``False``
            always_call (bool): also run it (with ``output`` None) when forward
                raises. Default: ``False``

        Returns:
            RemovableHandle: ``handle.remove()`` unregisters the hook.

        Example::

            >>> relu = nn.ReLU()
            >>> h = relu.register_forward_hook(lambda m, args, out: out * 2)
            >>> relu(fastnn.tensor([-1.0, 3.0]))
            tensor([0., 6.])
            >>> h.remove()
        """
        flags = ["_forward_hooks_with_kwargs"] * with_kwargs + \
            ["_forward_hooks_always_called"] * always_call
        return self._add_hook("_forward_hooks", hook, prepend, flags)

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Register a hook that runs every time before :meth:`forward`.

        The hook is called as ``hook(module, args)``; a return value other than
        None replaces the positional arguments (a non-tuple becomes a 1-tuple).
        With ``with_kwargs`` it is called as ``hook(module, args, kwargs)`` and
        returns None or a tuple ``(new_args, new_kwargs)``.

        Args:
            hook (Callable): the function to call.
            prepend (bool): run it before the pre-hooks already registered.
                Default: ``False``
            with_kwargs (bool): pass and accept the keyword arguments too.
                Default: ``False``

        Returns:
            RemovableHandle: ``handle.remove()`` unregisters the hook.

        Example::

            >>> lin = nn.Identity()
            >>> h = lin.register_forward_pre_hook(lambda m, args: (args[0] + 1,))
            >>> lin(fastnn.tensor([1.0, 2.0]))
            tensor([2., 3.])
        """
        flags = ["_forward_pre_hooks_with_kwargs"] * with_kwargs
        return self._add_hook("_forward_pre_hooks", hook, prepend, flags)

    def register_full_backward_hook(self, hook: Callable[..., Any],
                                    prepend: bool = False) -> RemovableHandle:
        """Register a hook that runs when the gradients of the module's inputs are computed.

        The hook is called as ``hook(module, grad_input, grad_output)``, both
        tuples of Tensors (None where an input needs no gradient); a return value
        other than None replaces ``grad_input``. Only Tensor inputs and outputs
        of floating dtype are seen.

        Args:
            hook (Callable): the function to call.
            prepend (bool): run it before the backward hooks already registered.
                Default: ``False``

        Returns:
            RemovableHandle: ``handle.remove()`` unregisters the hook.

        Example::

            >>> lin = nn.Linear(3, 1)
            >>> shapes = []
            >>> h = lin.register_full_backward_hook(
            ...     lambda m, gin, gout: shapes.append((gin[0].shape, gout[0].shape)))
            >>> x = fastnn.ones(2, 3, requires_grad=True)
            >>> lin(x).sum().backward()
            >>> shapes
            [((2, 3), (2, 1))]
        """
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any],
                                        prepend: bool = False) -> RemovableHandle:
        """Register a hook that runs before the gradients of the module are computed.

        The hook is called as ``hook(module, grad_output)``; a return value other
        than None replaces ``grad_output``.

        Args:
            hook (Callable): the function to call.
            prepend (bool): run it before the backward pre-hooks already registered.
                Default: ``False``

        Returns:
            RemovableHandle: ``handle.remove()`` unregisters the hook.

        Example::

            >>> lin = nn.Linear(3, 1)
            >>> h = lin.register_full_backward_pre_hook(lambda m, gout: (gout[0] * 0,))
            >>> x = fastnn.ones(2, 3, requires_grad=True)
            >>> lin(x).sum().backward()
            >>> x.grad.abs().sum().item()
            0.0
        """
        return self._add_hook("_backward_pre_hooks", hook, prepend)


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
    """Module.__call__ when the module has any hook: pre-hooks, forward, hooks."""
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
