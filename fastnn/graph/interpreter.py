"""Graph.run: compute a captured graph with fastnn's own ops, node by node.

Each node calls the same ``Function.apply`` (or Tensor method) the forward
called, with the recorded attributes and the symbolic sizes resolved for the
inputs at hand, so its result equals ``model(x)`` for any size of the symbolic
dims. Grad mode is left as it is: under ``no_grad`` it is inference, otherwise
gradients reach the model's parameters through it.
"""
import numpy as np

from .._tensor import Tensor, tensor

__all__ = ["run"]


def _as_tensor(x, v):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return tensor(x)  # its own copy, in the caller's dtype
    raise TypeError(f"input {v.name!r}: expected a Tensor or an array, got {type(x).__name__}")


def run(graph, inputs):
    env = {}
    ins = [_as_tensor(x, v) for x, v in zip(inputs, graph.inputs)]
    dims = graph.bind_dims([t.shape for t in ins] if len(ins) == len(graph.inputs)
                           else [()] * len(inputs))
    for v, t in zip(graph.inputs, ins):
        if t.dtype != v.dtype:
            raise TypeError(f"input {v.name!r}: expected dtype {v.dtype}, got {t.dtype}")
        env[id(v)] = t
    for group in (graph.params, graph.buffers):
        for name, v in group.items():
            env[id(v)] = graph.tensors[name]
    for v in graph.constants:
        env[id(v)] = Tensor._wrap(v.data)

    def lookup(v):
        return env[id(v)]

    for node in graph.nodes:
        args, kwargs = node.call_args(lookup, dims)
        out = node.impl(*args, **kwargs)
        outs = tuple(out) if isinstance(out, tuple) else (out,)
        for v, o in zip(node.outputs, outs):
            env[id(v)] = o
    flat = [env[id(v)] for v in graph.outputs]

    def build(tree):
        if isinstance(tree, tuple):
            return tuple(build(t) for t in tree)
        return flat[tree]
    return build(graph.output_tree)
