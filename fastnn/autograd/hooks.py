"""Post-accumulate-grad hooks: run a function once a leaf's ``.grad`` is final.

``Tensor.register_post_accumulate_grad_hook(hook)`` (PyTorch's name) calls
``hook(tensor)`` during ``backward()``, right after the last gradient that this
backward pass sends to the leaf has been added to ``tensor.grad``. A leaf used
by several operations receives one gradient per use; the engine counts the
uses before the walk starts and fires the hooks on the last one, so a hook sees
the complete gradient exactly once per backward. DistributedDataParallel uses
this to start each bucket's all-reduce while the rest of backward still runs.

A backward pass pays for the bookkeeping only while some hook is registered.
"""
import itertools
from collections import OrderedDict

_live = 0  # hooks registered process-wide (run_backward skips all of this at 0)
_next_id = itertools.count()


class _Handle:
    """Returned by register_post_accumulate_grad_hook; ``remove()`` unregisters."""

    def __init__(self, hooks, key):
        self._hooks = hooks
        self.id = key

    def remove(self):
        global _live
        if self._hooks.pop(self.id, None) is not None:
            _live -= 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register(tensor, hook):
    """Add ``hook`` to the leaf ``tensor`` (Tensor.register_post_accumulate_grad_hook)."""
    global _live
    if not callable(hook):
        raise TypeError(f"register_post_accumulate_grad_hook: hook must be callable, "
                        f"got {type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if tensor._ctx is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = tensor.__dict__.get("_post_accumulate_grad_hooks")
    if hooks is None:
        hooks = tensor.__dict__["_post_accumulate_grad_hooks"] = OrderedDict()
    key = next(_next_id)
    hooks[key] = hook
    _live += 1
    return _Handle(hooks, key)


def live():
    return _live > 0


def watch(order):
    """Per hooked leaf reached by the nodes in ``order``: [tensor, uses left, got a gradient]."""
    watched = {}
    for node in order:
        for a, e in zip(node.inputs, node.edges):
            if e is None or e[0] is not None:
                continue  # not a Tensor, or not a leaf when recorded
            if not a.__dict__.get("_post_accumulate_grad_hooks"):
                continue
            entry = watched.get(id(a))
            if entry is None:
                watched[id(a)] = [a, 1, False]
            else:
                entry[1] += 1
    return watched


def node_done(watched, node, grads_in):
    """Count ``node``'s uses of hooked leaves down; fire the hooks of those now complete."""
    for i, (a, e) in enumerate(zip(node.inputs, node.edges)):
        if e is None or e[0] is not None:
            continue
        entry = watched.get(id(a))
        if entry is None:
            continue
        if grads_in is not None and grads_in[i] is not None and node.needs_input_grad[i]:
            entry[2] = True
        entry[1] -= 1
        if entry[1] == 0 and entry[2]:
            fire(a)


def fire(tensor):
    for hook in tuple(tensor.__dict__.get("_post_accumulate_grad_hooks", {}).values()):
        hook(tensor)
