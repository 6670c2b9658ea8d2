"""fastnn.graph: a model's forward captured as a small typed graph.

``trace(model, args)`` runs the forward once (twice per symbolic dim) and
returns a :class:`Graph`: the kernel-level ops it called in order, each with
its attributes, every value's shape (the batch symbolic, ``N``) and dtype,
the parameters and buffers by their ``state_dict`` names, the constants, the
named inputs and outputs. ``print(graph)`` lists the ops; ``graph.run(x)``
computes them with fastnn's ops. ONNX export (``fastnn.onnx``) reads it.
docs/graph.md explains how tracing works and what it cannot see.
"""
from .ir import Graph, Node, Sym, Value
from .tracer import TraceError, TracerWarning, trace

__all__ = ["trace", "Graph", "Node", "Value", "Sym", "TraceError", "TracerWarning"]
