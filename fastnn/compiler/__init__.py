"""fastnn.compile: a model's eval-mode forward run as one prepared plan.

``fastnn.compile(model)`` (PyTorch's name and arguments) traces the forward on
its first call (fastnn.graph, the batch symbolic) and turns the graph into a
plan: a flat list of pre-bound kernel calls on NumPy arrays, weights fetched
(and the linear ones transposed) once, attributes resolved once per input
shape, Linear/Conv followed by ReLU fused into one step that writes in place,
no autograd. Conv (+ReLU, +max pool) and Linear (+ReLU) layers whose
weights fit in cache run on fastnn's fused inference kernels
(backends/native/fused), a chain of them as one native call (_native.py).
Plans are cached per input shape. A model that cannot be traced
runs as it is, with a warning (an error with ``fullgraph=True``).
"""
from ._compiled import CompiledModel, compile

__all__ = ["compile", "CompiledModel"]
