"""The generated forward function as it is being built: constant arrays, the
scratch arena (offsets planned from each value's last use), the kernel calls.

Every size is static: the graph's symbolic dims take the example input's
sizes. A value lives at a C pointer expression: ``input``, a constant array,
or ``ws + offset`` in the workspace; a reshape of contiguous data shares its
source's storage.
"""
import numpy as np

from . import _templates


class ExportError(ValueError):
    """The model (or one of its ops) cannot be exported to C."""


class _Storage:
    __slots__ = ("offset", "size", "last")

    def __init__(self, offset, size, last):
        self.offset, self.size, self.last = offset, size, last


class Arena:
    """First-fit allocation of float offsets; sizes rounded to 4 floats (16 bytes)."""

    def __init__(self):
        self.free = []  # (offset, size), sorted
        self.top = 0

    def alloc(self, size):
        size = max(4, -(-int(size) // 4) * 4)
        for i, (off, sz) in enumerate(self.free):
            if sz >= size:
                if sz == size:
                    del self.free[i]
                else:
                    self.free[i] = (off + size, sz - size)
                return off, size
        off, self.top = self.top, self.top + size
        return off, size

    def release(self, off, size):
        self.free.append((off, size))
        self.free.sort()
        merged = []
        for o, s in self.free:
            if merged and merged[-1][0] + merged[-1][1] == o:
                merged[-1] = (merged[-1][0], merged[-1][1] + s)
            else:
                merged.append((o, s))
        if merged and merged[-1][0] + merged[-1][1] == self.top:
            self.top = merged.pop()[0]  # the peak (the workspace size) is kept separately
        self.free = merged


def c_float(v):
    v = float(v)
    if not np.isfinite(v):
        if np.isnan(v):
            return "NAN"
        return "HUGE_VALF" if v > 0 else "-HUGE_VALF"
    s = repr(float(np.float32(v)))
    if "e" not in s and "." not in s:
        s += ".0"
    return s + "f"


class Program:
    def __init__(self, graph, dims, name):
        self.graph, self.dims, self.name = graph, dims, name
        self.decls = []            # C definitions of constant arrays
        self.body = []             # statements of the forward function
        self.kernels = set()
        self.layer_fns = []        # per-layer kernels (templates' /*@@ chunks), C text
        self._layer_names = set()
        self.fused = {}            # id(conv node) -> (relu, pool, result Value, fused nodes)
        self.quant = None
        self.loc = {}              # id(Value) -> C pointer expression
        self.storage = {}          # id(Value) -> _Storage (workspace values)
        self.const_names = {}      # id(array) -> C name
        self.arena = Arena()
        self.peak = 0
        self.step = 0
        self.last_use = {}
        for i, node in enumerate(graph.nodes):
            for v in node.inputs:
                self.last_use[id(v)] = i
        for v in graph.outputs:
            self.last_use[id(v)] = len(graph.nodes)
        self._scratch = []
        self._names = set()

    # --- shapes ------------------------------------------------------------------
    def shape(self, value):
        from ..graph.ir import resolve
        return tuple(int(d) for d in resolve(value.shape, self.dims))

    def size(self, value):
        return int(np.prod(self.shape(value), dtype=np.int64))

    # --- constants ---------------------------------------------------------------
    def _fresh(self, hint):
        base = "".join(c if c.isalnum() else "_" for c in hint).strip("_") or "c"
        name, k = f"{self.name}_{base}", 1
        while name in self._names:
            k += 1
            name = f"{self.name}_{base}_{k}"
        self._names.add(name)
        return name

    def array(self, hint, data, ctype="float"):
        """A ``static const`` array holding ``data``; its C name."""
        key = (id(data), ctype)
        if key in self.const_names:
            return self.const_names[key]
        flat = np.asarray(data).ravel()
        if ctype == "float":
            items = [c_float(v) for v in flat.astype(np.float32)]
        else:
            items = [str(int(v)) for v in flat]
        if not items:
            items = ["0"]
        lines = []
        for i in range(0, len(items), 8):
            lines.append("    " + ", ".join(items[i:i + 8]) + ",")
        name = self._fresh(hint)
        self.decls.append(f"static const {ctype} {name}[{len(items)}] = {{\n"
                          + "\n".join(lines) + "\n};\n")
        self.const_names[key] = name
        self._keep = getattr(self, "_keep", []) + [data]  # ids stay unique while we run
        return name

    def ints(self, values):
        return self.array("dims", np.asarray(values, dtype=np.int64), "int")

    # --- values --------------------------------------------------------------------
    def ptr(self, value):
        """Where ``value`` is, as a C expression (None for an absent argument)."""
        if value is None:
            return "NULL"
        if id(value) not in self.loc:
            if value.kind in ("param", "buffer"):
                data = self.graph.tensors[value.name].detach().numpy()
                self.loc[id(value)] = self.array(value.name, data)
            elif value.kind == "const" or value.data is not None:
                self.loc[id(value)] = self.array(value.name, value.data)
            else:
                raise ExportError(f"value {value.name} is read before it is computed")
        return self.loc[id(value)]

    def out(self, value):
        """Workspace for an op's result; its pointer expression."""
        off, sz = self.arena.alloc(self.size(value))
        self.peak = max(self.peak, self.arena.top)
        st = _Storage(off, sz, self.last_use.get(id(value), self.step))
        self.storage[id(value)] = st
        self.loc[id(value)] = f"ws + {off}"
        return self.loc[id(value)]

    def alias(self, value, source):
        """``value`` shares ``source``'s memory (a reshape)."""
        self.loc[id(value)] = self.ptr(source)
        st = self.storage.get(id(source))
        if st is not None:
            st.last = max(st.last, self.last_use.get(id(value), self.step))
            self.storage[id(value)] = st

    def scratch(self, nfloats):
        """Workspace for one op's own use, freed after it."""
        off, sz = self.arena.alloc(nfloats)
        self.peak = max(self.peak, self.arena.top)
        self._scratch.append((off, sz))
        return f"ws + {off}"

    # --- statements ---------------------------------------------------------------
    def call(self, kernel, *args):
        if kernel not in self._layer_names:
            self.kernels.add(kernel)
        self.body.append(f"    {kernel}({', '.join(str(a) for a in args)});")

    def comment(self, text):
        self.body.append(f"    /* {text} */")

    def end_step(self):
        """Free the op's scratch and every storage whose last reader was this op."""
        for off, sz in self._scratch:
            self.arena.release(off, sz)
        self._scratch = []
        done = set()
        for key, st in list(self.storage.items()):
            if st.last <= self.step and id(st) not in done:
                done.add(id(st))
                self.arena.release(st.offset, st.size)
            if st.last <= self.step:
                del self.storage[key]
        self.step += 1

    def layer_kernel(self, names, hint, sizes):
        """Instantiate per-layer template chunks ``names`` with ``sizes``; the
        prefix their functions were given."""
        prefix = self._fresh(hint) + "_"
        self.layer_fns.append(_templates.instantiate(names, prefix, sizes))
        self._layer_names.update(prefix + n for n in names)
        return prefix

    def kernel_source(self):
        """The kernels' C text, after the dispatch macros when a kernel has CPU variants."""
        text = "\n".join([_templates.source(self.kernels)] + self.layer_fns)
        if _templates.DISPATCH in text:
            text = _templates.dispatch_prologue(self.name) + "\n" + text
        return text
