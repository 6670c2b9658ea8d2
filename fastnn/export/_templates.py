"""The C kernel templates (templates/*.c, one file per op family), cut into
functions so the generated file holds only the kernels its model calls, and
the run-time CPU dispatch of the hottest ones.

A template file is plain C; a line ``/*@ name dep dep */`` starts the chunk
that defines ``name`` and says which other chunks it calls. Unused static
functions would fail ``-Wall -Werror``, hence the selection.

A line ``/*@@ name */`` starts a per-layer chunk: its text is written once per
layer that uses it (``instantiate``), its ``name`` made unique and its
``CONV_SIZES`` line replaced by an enum of the layer's sizes, so that every
loop bound is a compile-time constant.

A chunk with a ``VECTOR_WIDTHS`` line is **dispatched**: it is written once
per variant (``VARIANTS``), each copy with that variant's vector width
constants in place of the line and ``MADD(a, b, c)`` (a * b + c) spelt the
variant's way, plus a function under the chunk's own name that calls the copy
the CPU can run. On x86-64 / i386 with GCC or Clang the AVX2 + FMA copy is
compiled for that ISA alone (``__attribute__((target))``) and chosen at run
time with ``__builtin_cpu_supports``; everywhere else, or with
``-D<NAME>_PORTABLE``, the generated file is plain C99 (``dispatch_prologue``).
"""
from __future__ import annotations

import os
import re
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple

_DIR = os.path.join(os.path.dirname(__file__), "templates")
_MARK = re.compile(r"^/\*@(@?) ([\w ]+) \*/\s*$")
_ORDER = ("gemm", "linear", "conv", "direct", "pool", "norm", "unary", "binary", "shape", "softmax",
          "rnn", "int8",
          "embedding", "layernorm", "conv_transpose", "attention", "pad", "matmul",
          "reduce", "logic", "contract")
_chunks: Optional[Dict[str, Tuple[str, List[str], str]]] = None

# The macro the generated prologue defines to 1 where the AVX2 copies exist.
DISPATCH = "FASTNN_X86_DISPATCH"


class Variant(NamedTuple):
    suffix: str    # appended to the copy's function names
    label: str     # in the copy's heading comment
    attr: str      # between `static` and the return type
    widths: str    # replaces the VECTOR_WIDTHS line
    madd: str      # what MADD( becomes
    guard: str     # the #if around the copy ("" for none)


# The plain copy: 4-float vectors (SSE2, x86-64's baseline, or NEON), or 8
# floats when the whole build has AVX (-mavx, -march=native). With 4, CB = 8
# channels per block and BX = 4 copies of each input value (a vector load
# instead of a load and a shuffle); with 8, one copy (vbroadcastss reads it).
_PLAIN_WIDTHS = """#if defined(__AVX__)
    enum { VW = 8, CB = 16, BX = 1 };  /* one AVX vector: 8 floats */
#else
    enum { VW = 4, CB = 8, BX = 4 };   /* one SSE2 / NEON vector: 4 floats */
#endif"""

VARIANTS = (
    Variant("_plain", "plain C copy", "", _PLAIN_WIDTHS, "MADD(", ""),
    # fmaf() in a function built for FMA is one vfmadd instruction (inlined:
    # no libm call), and -std=c99 never fuses a * b + c by itself.
    Variant("_avx2", "AVX2 + FMA copy", "FASTNN_AVX2_FMA ",
            "    enum { VW = 8, CB = 16, BX = 1 };  /* one AVX2 vector: 8 floats */", "fmaf(", DISPATCH),
)


def dispatch_prologue(name: str) -> str:
    """The macros the dispatched kernels use, for the model ``name``."""
    up = name.upper()
    return f"""/* --- run-time CPU dispatch (fastnn/export/_templates.py) ---
 * The hottest kernels (the direct convolution, the Linear panels) come in two
 * copies: *_plain, portable C99, and, on x86 with GCC or Clang, *_avx2, the
 * same C compiled for AVX2 + FMA (8-float vectors, fused multiply-adds). A
 * function under the kernel's own name calls the AVX2 copy when the CPU has
 * both features (__builtin_cpu_supports reads flags libgcc / compiler-rt set
 * once at start-up, in __cpu_model: no state here, so concurrent calls are
 * safe; a call before they are set runs the plain copy). Build with
 * -D{up}_PORTABLE for the plain C copies alone (also where no libgcc or
 * compiler-rt is linked: a freestanding build). */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && !defined({up}_PORTABLE)
#define {DISPATCH} 1
#define FASTNN_AVX2_FMA __attribute__((target("avx2,fma")))
#define FASTNN_HAS_AVX2_FMA() (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
#else
#define {DISPATCH} 0
#endif
#define MADD(a, b, c) ((a) * (b) + (c))  /* the plain copies' multiply-add */
"""


def _load() -> Dict[str, Tuple[str, List[str], str]]:
    global _chunks
    if _chunks is None:
        chunks: Dict[str, Tuple[str, List[str], str]] = {}
        for family in _ORDER:
            with open(os.path.join(_DIR, family + ".c")) as f:
                text = f.read()
            name: Optional[str] = None
            deps: List[str] = []
            lines: List[str] = []
            for line in text.splitlines(keepends=True):
                m = _MARK.match(line)
                if m:
                    if name:
                        chunks[name] = (family, deps, "".join(lines).strip() + "\n")
                    name, *deps = m.group(2).split()
                    if m.group(1):
                        name = "@" + name  # per-layer: not selectable by source()
                    lines = []
                elif name:
                    lines.append(line)
            if name:
                chunks[name] = (family, deps, "".join(lines).strip() + "\n")
        _chunks = chunks
    return _chunks


def is_dispatched(text: str) -> bool:
    return re.search(r"^\s*VECTOR_WIDTHS\s*$", text, re.M) is not None


def _rename(text: str, names: Iterable[str], mapping: Mapping[str, str]) -> str:
    for n in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{n}\b", mapping[n], text)
    return text


def _dispatcher(text: str, entry: str, copy_name: str) -> str:
    """A function named ``entry`` with the signature of ``copy_name`` in
    ``text`` that calls the AVX2 copy when the CPU has it, else the plain one."""
    m = re.search(rf"static\s+\w+\s+{copy_name}\s*\(([^)]*)\)", text)
    if m is None:
        raise ValueError(f"template: no `static void {copy_name}(...)` to dispatch")
    params = [" ".join(a.split()) for a in m.group(1).split(",")]
    args = ", ".join(re.findall(r"(\w+)$", a)[0] for a in params)
    base = copy_name[:-len(VARIANTS[0].suffix)]
    lines, line = [], f"static void {entry}("
    for i, a in enumerate(params):  # the parameters wrapped at 100 columns
        piece = a + (", " if i + 1 < len(params) else ")")
        if len(line) + len(piece) > 100:
            lines.append(line.rstrip())
            line = " " * (len(entry) + 13)
        line += piece
    signature = "\n".join(lines + [line])
    return f"""/* {entry}: the AVX2 + FMA copy where the CPU has both, else the plain one */
{signature}
{{
#if {DISPATCH}
    if (FASTNN_HAS_AVX2_FMA()) {{
        {base}_avx2({args});
        return;
    }}
#endif
    {base}_plain({args});
}}
"""


def _variants(text: str, names: List[str], prefix: str, header: str) -> str:
    """``text`` (a chunk group defining ``names``, the entry point last, and
    maybe helpers of its own) once per variant, every function it defines
    renamed ``prefix + name + suffix``, plus the entry point's dispatcher."""
    own = re.findall(r"^static\s+\w+\s+(\w+)\s*\(", text, flags=re.M)
    names = [n for n in own if n not in names] + list(names)
    parts = []
    for v in VARIANTS:
        t = _rename(text, names, {n: prefix + n + v.suffix for n in names})
        t = re.sub(r"^\s*VECTOR_WIDTHS\s*$", lambda _m: v.widths, t, flags=re.M)
        t = t.replace("MADD(", v.madd)
        if v.attr:
            t = re.sub(r"^static (\w+) ", lambda m: f"static {v.attr}{m.group(1)} ", t, flags=re.M)
        t = f"{header.format(label=', ' + v.label)}\n{t}"
        parts.append(f"#if {v.guard}\n{t}#endif\n" if v.guard else t)
    entry = names[-1]
    parts.append(_dispatcher(parts[0], prefix + entry, prefix + entry + VARIANTS[0].suffix))
    return "\n".join(parts)


def source(names: Iterable[str]) -> str:
    """The C text of the kernels ``names`` and what they call, callees first."""
    chunks = _load()
    order: List[str] = []
    seen = set()

    def visit(n: str) -> None:
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
        family, _, text = chunks[n]
        header = f"/* --- {n}{{label}} (fastnn/export/templates/{family}.c) --- */"
        if is_dispatched(text):
            parts.append(_variants(text, [n], "", header))
        else:
            parts.append(f"{header.format(label='')}\n{text}")
    return "\n".join(parts)


def instantiate(names: List[str], prefix: str, sizes: Mapping[str, int]) -> str:
    """The per-layer chunks ``names`` (in order, the last one the entry point)
    for one layer: each chunk's names renamed ``chunk -> prefix + chunk``,
    ``CONV_SIZES`` -> ``enum {...};``; dispatched when they hold VECTOR_WIDTHS."""
    chunks = _load()
    enum = "enum { " + ", ".join(f"{k} = {int(v)}" for k, v in sizes.items()) + " };"
    texts, family = [], ""
    for n in names:
        family, _, text = chunks["@" + n]
        texts.append((n, family, text))
    if any(is_dispatched(t) for _, _, t in texts):
        text = "\n".join(t for _, _, t in texts).replace("CONV_SIZES", enum)
        header = f"/* --- {prefix}{names[-1]}{{label}} (fastnn/export/templates/{family}.c) --- */"
        return _variants(text, list(names), prefix, header)
    parts = [f"/* --- {prefix}{n} (fastnn/export/templates/{f}.c) --- */\n{t}" for n, f, t in texts]
    text = _rename("\n".join(parts), names, {n: prefix + n for n in names})
    return text.replace("CONV_SIZES", enum)
