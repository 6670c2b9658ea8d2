"""Symbolic sizes: fold the runs of one forward at different sizes into one graph.

The tracer runs the forward once on the example and once more per symbolic dim
with that dim doubled. Walking the runs side by side, every size or integer
argument that changed becomes a ``Sym`` (it grew by the same amount the dim's
product did, so it is ``coef * dims + offset``); a constant that grew and holds
one repeated value becomes a ``full`` op; anything else that differs means the
graph cannot leave that dim symbolic, and is an error.
"""
import numpy as np

from .._tensor import Tensor
from ._errors import TraceError
from .ir import Node, Sym

class _Mismatch(Exception):
    pass


def _merge_int(v0, variants):
    """v0 from the base run, variants: name -> (value, base size of name) from that name's run."""
    diffs = {n: v - v0 for n, (v, s) in variants.items() if v != v0}
    if not diffs:
        return v0
    m = set(diffs.values())
    if len(m) != 1:
        raise _Mismatch(f"{v0} -> {[v for v, _ in variants.values()]}")
    m = m.pop()
    prod = 1
    for n in diffs:
        prod *= variants[n][1]
    if m % prod:
        raise _Mismatch(f"{v0} does not scale with {'*'.join(diffs)}")
    return Sym(sorted(diffs), m // prod, v0 - m)


def _merge_obj(a, others):
    """Merge one attribute (or shape) across runs: ints become Syms where they changed."""
    if isinstance(a, (bool, np.bool_)) or a is None or isinstance(a, str):
        if any(o[0] != a for o in others.values()):
            raise _Mismatch(repr(a))
        return a
    if isinstance(a, (int, np.integer)):
        if not all(isinstance(o[0], (int, np.integer)) for o in others.values()):
            raise _Mismatch(repr(a))
        return _merge_int(int(a), {n: (int(o[0]), o[1]) for n, o in others.items()})
    if isinstance(a, (tuple, list)):
        if any(type(o[0]) is not type(a) or len(o[0]) != len(a) for o in others.values()):
            raise _Mismatch(repr(a))
        out = [_merge_obj(x, {n: (o[0][i], o[1]) for n, o in others.items()})
               for i, x in enumerate(a)]
        return tuple(out) if isinstance(a, tuple) else out
    if isinstance(a, slice):
        parts = [_merge_obj(getattr(a, f), {n: (getattr(o[0], f), o[1]) for n, o in others.items()})
                 for f in ("start", "stop", "step")]
        return slice(*parts)
    if isinstance(a, np.ndarray):
        if any(not (isinstance(o[0], np.ndarray) and o[0].shape == a.shape
                    and np.array_equal(o[0], a)) for o in others.values()):
            raise _Mismatch("an array argument")
        return a
    try:
        same = all(bool(o[0] == a) for o in others.values())
    except Exception:  # pragma: no cover - an exotic attribute
        same = False
    if not same:
        raise _Mismatch(repr(a))
    return a


def _full(shape, fill_value, dtype):
    """The op behind a constant that grew with a symbolic dim (``zeros(L, N, H)``)."""
    return Tensor._wrap(np.full(shape, fill_value, dtype=dtype))


_FULL_LAYOUT = (("shape", "pos"), ("fill_value", "pos"), ("dtype", "pos"))


def merge(base, runs):
    """Fold the runs (name -> (Graph, base size)) into ``base``'s sizes and attributes."""
    for name, (g, _) in runs.items():
        if [n.op for n in g.nodes] != [n.op for n in base.nodes] or \
                len(g.constants) != len(base.constants):
            raise TraceError(
                f"the forward ran different ops when dim {name!r} changed size: it takes a "
                "path that depends on that size (or on the data, if a TracerWarning said "
                "so), so the graph cannot leave it symbolic (trace with that dim static)")

    def pos_map(g):
        return {id(v): i for i, v in enumerate(g.values())}
    base_pos = pos_map(base)
    base_vals = base.values()
    others = {n: (g.values(), s, pos_map(g), g) for n, (g, s) in runs.items()}

    for i, v in enumerate(base_vals):
        try:
            v.shape = tuple(_merge_obj(d, {n: (o[0][i].shape[k], o[1]) for n, o in others.items()})
                            for k, d in enumerate(v.shape))
        except (_Mismatch, IndexError):
            raise TraceError(f"the rank of {v.name} changed with the symbolic dims "
                             f"({v.type_str()})") from None

    for k, node in enumerate(base.nodes):
        for n, (vals, s, pm, g) in others.items():
            on = g.nodes[k]
            if [base_pos[id(v)] for v in node.inputs] != [pm[id(v)] for v in on.inputs]:
                raise TraceError(f"{node.op} (op {k}) takes different inputs when dim {n!r} "
                                 "changes size")
        for key, a in node.attrs.items():
            try:
                node.attrs[key] = _merge_obj(a, {n: (o[3].nodes[k].attrs.get(key), o[1])
                                                 for n, o in others.items()})
            except _Mismatch as e:
                raise TraceError(f"{node.op} (op {k}): argument {key}={e} changes with the "
                                 f"symbolic dims ({', '.join(runs)}) in a way the graph cannot "
                                 "express; trace with those dims static") from None

    fulls = []
    for j, c in enumerate(list(base.constants)):
        datas = [o[3].constants[j].data for o in others.values()]
        if all(d.shape == c.data.shape and np.array_equal(d, c.data) for d in datas):
            continue
        changed = any(isinstance(d, Sym) for d in c.shape)
        uniform = c.data.size > 0 and all(d.size > 0 and (d == d.flat[0]).all() and
                                          d.flat[0] == c.data.flat[0] for d in datas) \
            and (c.data == c.data.flat[0]).all()
        if changed and uniform:
            node = Node("full", [], [], {"shape": c.shape, "fill_value": c.data.flat[0].item(),
                                         "dtype": c.dtype}, [c], _full, _FULL_LAYOUT)
            c.kind, c.producer, c.data = "node", node, None
            c.name = f"full{len(fulls)}"
            fulls.append(node)
            base.constants.remove(c)
        else:
            raise TraceError(
                f"{c.name} ({c.type_str()}) is an array made outside fastnn's ops whose "
                "values depend on the input (e.g. computed with NumPy from .numpy() or "
                "._data); the graph would fix it to this run's values")
    base.nodes[:0] = fulls
    return base
