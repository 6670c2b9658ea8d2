"""The C kernel templates (templates/*.c, one file per op family), cut into
functions so the generated file holds only the kernels its model calls.

A template file is plain C; a line ``/*@ name dep dep */`` starts the chunk
that defines ``name`` and says which other chunks it calls. Unused static
functions would fail ``-Wall -Werror``, hence the selection.

A line ``/*@@ name */`` starts a per-layer chunk: its text is written once per
layer that uses it (``instantiate``), its ``name`` made unique and its
``CONV_SIZES`` line replaced by an enum of the layer's sizes, so that every
loop bound is a compile-time constant.
"""
import os
import re

_DIR = os.path.join(os.path.dirname(__file__), "templates")
_MARK = re.compile(r"^/\*@(@?) ([\w ]+) \*/\s*$")
_ORDER: tuple[str, ...]
_ORDER = ("gemm", "linear", "conv", "direct", "pool", "norm", "unary", "binary", "shape", "softmax",
          "rnn", "int8")
_ORDER += ("reduce", "logic", "contract")  # tensor ops
_chunks = None


def _load():
    global _chunks
    if _chunks is None:
        _chunks = {}
        for family in _ORDER:
            with open(os.path.join(_DIR, family + ".c")) as f:
                text = f.read()
            name, deps, lines = None, (), []
            for line in text.splitlines(keepends=True):
                m = _MARK.match(line)
                if m:
                    if name:
                        _chunks[name] = (family, deps, "".join(lines).strip() + "\n")
                    name, *deps = m.group(2).split()
                    if m.group(1):
                        name = "@" + name  # per-layer: not selectable by source()
                    lines = []
                elif name:
                    lines.append(line)
            if name:
                _chunks[name] = (family, deps, "".join(lines).strip() + "\n")
    return _chunks


def source(names):
    """The C text of the kernels ``names`` and what they call, callees first."""
    chunks = _load()
    order, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for d in chunks[n][1]:
            visit(d)
        order.append(n)
    for n in sorted(names):
        visit(n)
    parts = []
    for n in order:
        family = chunks[n][0]
        parts.append(f"/* --- {n} (fastnn/export/templates/{family}.c) --- */\n{chunks[n][2]}")
    return "\n".join(parts)


def instantiate(names, prefix, sizes):
    """The per-layer chunks ``names`` (in order) for one layer: each chunk's
    names renamed ``chunk -> prefix + chunk``, ``CONV_SIZES`` -> ``enum {...};``."""
    chunks = _load()
    enum = "enum { " + ", ".join(f"{k} = {int(v)}" for k, v in sizes.items()) + " };"
    parts = []
    for n in names:
        family, _, text = chunks["@" + n]
        parts.append(f"/* --- {prefix}{n} (fastnn/export/templates/{family}.c) --- */\n{text}")
    text = "\n".join(parts)
    for n in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{n}\b", prefix + n, text)
    return text.replace("CONV_SIZES", enum)
