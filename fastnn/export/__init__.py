"""fastnn.export: a model as standalone C99, for deployment without Python.

``to_c(model, example_input, directory, name="model", quantize=None,
calibration=None)`` traces the model (fastnn.graph) and writes ``<name>.h``
and ``<name>.c``: kernels from templates/ (one file per op family), the
weights as const arrays, one forward function with a static scratch arena.
No heap, no I/O; it builds with ``cc -std=c99 -pedantic -Wall -Wextra
-Werror`` and links with ``-lm`` alone. docs/export.md describes the layout
and the int8 scheme.
"""
from ._export import to_c
from ._program import ExportError

__all__ = ["to_c", "ExportError"]
