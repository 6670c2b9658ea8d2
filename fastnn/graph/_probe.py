"""The probe run: the forward once more on other values, to catch what a trace
cannot see (a path or an array that depends on the data)."""
import warnings

import numpy as np

from ._errors import TraceError, TracerWarning


def _same_attr(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_attr(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover - an exotic attribute
        return False


def probe(run_once, model, arrays, names, named, strict, base):
    """Run the forward once more on other values (each input reversed) and compare.

    Different ops mean the path depends on the data (warned, or an error with
    ``strict``); the same ops with a different constant mean an array was computed
    from the data outside fastnn's ops, which the graph would freeze: an error."""
    others = [np.ascontiguousarray(np.flip(a)) for a in arrays]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TracerWarning)
            g = run_once(model, others, names, named, False)
    except Exception:
        return  # the model rejects reversed inputs; the other checks still stand
    same_path = [n.op for n in g.nodes] == [n.op for n in base.nodes] and all(
        a.attrs.keys() == b.attrs.keys() and all(_same_attr(a.attrs[k], b.attrs[k]) for k in a.attrs)
        for a, b in zip(base.nodes, g.nodes))
    if not same_path:
        msg = ("the forward ran different ops on other input values: its path depends on "
               "the data (Python control flow on a tensor's value); the graph holds the "
               "path the example took")
        if strict:
            raise TraceError(msg)
        warnings.warn(msg, TracerWarning, stacklevel=3)
        return
    for c, d in zip(base.constants, g.constants):
        if c.data.shape != d.data.shape or not np.array_equal(c.data, d.data, equal_nan=c.data.dtype.kind == "f"):
            users = base.users(c)
            where = f", read by `{users[0]}`" if users else ""
            raise TraceError(
                f"{c.name} ({c.type_str()}{where}) is an array made outside fastnn's ops whose "
                "values depend on the input (e.g. computed with NumPy from .numpy() or "
                "._data); the graph would fix it to this run's values")
