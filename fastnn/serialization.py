"""Saving whole objects (a Module, a custom class) and the weights_only allowlist.

``fastnn.save`` writes tensors in the safetensors layout and the structure around
them as JSON (fastnn/io.py). Objects other than tensors, arrays, containers and
plain values are described there the way pickle describes them -- by the
``__reduce_ex__`` protocol: a class or function *named* by module and qualified
name, the arguments to call it with, and the state to restore -- but as JSON
nodes, never as pickle bytecode.

Loading such a node means importing that name and calling it, which runs code
the file chooses. So, as in PyTorch >= 2.6, ``fastnn.load`` defaults to
``weights_only=True``: it reads tensors, arrays, containers and plain values,
and refuses any other name unless it is allowlisted with
``add_safe_globals([Cls])`` or ``with safe_globals([Cls]):``. Passing
``weights_only=False`` allows every name (only for files you trust).

Node kinds added to those of the saved structure (fastnn/_safetensors/structure.py:
``t`` tensor, ``d`` dict, ``l`` list, ``tu`` tuple, ``v``/``f`` values):

    {"a": name}            a NumPy array (loads back as an ndarray)
    {"tg": name}           a Tensor that requires grad
    {"P": [name, rg]}      an nn.Parameter
    {"od": [[k, node]..]}  an OrderedDict
    {"sp": [i, v, shape]}  a sparse COO tensor (indices and values nodes, a shape)
    {"g": "mod:qual"}      a class or function, by name
    {"o": {"id": k, "f": "mod:qual" | "new": node, "a": node, "kw": node,
           "s": node, "li": node, "di": node}}
                           an object: f(*a) (or cls.__new__(cls, *a, **kw)),
                           then state s, list items li, dict items di
    {"r": k}               the object first stored as id k (shared or cyclic)
"""
from __future__ import annotations

import builtins
import collections
import contextlib
import copyreg
import importlib
import os
import pickle
import threading
from typing import IO, Any, Iterable, Iterator, Union

import numpy as np

__all__ = ["add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals",
           "get_unsafe_globals_in_checkpoint", "save", "load"]

# Names every load may use: constructors that only build data from data.
_DEFAULT_SAFE = {
    f"builtins:{n}": getattr(builtins, n)
    for n in ("set", "frozenset", "complex", "slice", "range", "bytearray", "bytes", "list",
              "dict", "tuple", "int", "float", "str", "bool", "object")
}
_DEFAULT_SAFE.update({"collections:OrderedDict": collections.OrderedDict,
                      "collections:defaultdict": collections.defaultdict,
                      "collections:Counter": collections.Counter,
                      "numpy:dtype": np.dtype})

# What save and load accept as ``f``: a path or an open binary file.
_FileLike = Union[str, "os.PathLike[str]", IO[bytes]]

_lock = threading.Lock()
_user_safe: dict = {}  # name -> object, from add_safe_globals / safe_globals


def global_name(obj):
    """'module:qualname' naming ``obj``, checked to import back to ``obj``, else TypeError."""
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if module is None or qual is None:
        raise TypeError(f"{obj!r} has no module and name to be saved by")
    name = f"{module}:{qual}"
    try:
        found = _import(module, qual)
    except (ImportError, AttributeError):
        found = None
    if found is not obj:
        raise TypeError(f"{obj!r} is not importable as {module}.{qual} (a lambda, a local "
                        "class or function, or one defined in an unnamed module), so it "
                        "cannot be saved by name")
    return name


def _import(module, qual):
    obj = importlib.import_module(module)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _names(items):
    out = {}
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            obj, name = item
            out[name if ":" in name else _colon(name)] = obj
        else:
            out[global_name(item)] = item
    return out


def _colon(dotted):
    # "pkg.mod.Cls" as given by a user: the module is everything before the last dot
    module, _, qual = dotted.rpartition(".")
    return f"{module}:{qual}"


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allows these classes or functions in every ``fastnn.load(weights_only=True)`` from
    now on.

    Args:
        safe_globals (iterable): objects, or ``(obj, "module.name")`` pairs for an object
            that was saved under another name.

    Example::

        >>> from fastnn.serialization import add_safe_globals, clear_safe_globals, get_safe_globals
        >>> add_safe_globals([fastnn.nn.Linear])
        >>> fastnn.nn.Linear in get_safe_globals()
        True
        >>> clear_safe_globals()
    """
    names = _names(safe_globals)
    with _lock:
        _user_safe.update(names)


def get_safe_globals() -> list[Any]:
    """The objects allowlisted with :func:`add_safe_globals` (the built-in safe ones, such
    as ``collections.OrderedDict``, are not listed, as in PyTorch).

    Example::

        >>> from fastnn.serialization import get_safe_globals, safe_globals
        >>> with safe_globals([fastnn.nn.ReLU]):
        ...     print(fastnn.nn.ReLU in get_safe_globals())
        True
    """
    with _lock:
        return list(_user_safe.values())


def clear_safe_globals() -> None:
    """Forgets every object allowlisted with :func:`add_safe_globals`.

    Example::

        >>> from fastnn.serialization import add_safe_globals, clear_safe_globals, get_safe_globals
        >>> add_safe_globals([fastnn.nn.ReLU])
        >>> clear_safe_globals()
        >>> get_safe_globals()
        []
    """
    with _lock:
        _user_safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: Iterable[Any]) -> Iterator[None]:
    """A context manager that allowlists objects for ``fastnn.load(weights_only=True)``
    inside its block only.

    Args:
        safe_globals (iterable): objects, or ``(obj, "module.name")`` pairs.

    Example::

        >>> import io
        >>> from fastnn.serialization import safe_globals
        >>> buf = io.BytesIO()
        >>> fastnn.save(nn.ReLU(), buf)
        >>> _ = buf.seek(0)
        >>> with safe_globals([nn.ReLU]):
        ...     fastnn.load(buf)
        ReLU()
    """
    names = _names(safe_globals)
    with _lock:
        saved = dict(_user_safe)
        _user_safe.update(names)
    try:
        yield
    finally:
        with _lock:
            _user_safe.clear()
            _user_safe.update(saved)


def refused(name, where):
    """The error for a name a weights_only load may not import."""
    dotted = name.replace(":", ".")
    short = name.rpartition(":")[2].split(".")[-1]
    return pickle.UnpicklingError(
        f"load: {where}: weights_only load failed: the file names the global {dotted}, which "
        "is not an allowed global. Loading it imports and runs code named in the file. If you "
        "trust the file, load it with weights_only=False, or allowlist this global with "
        f"fastnn.serialization.add_safe_globals([{short}]) or the "
        f"fastnn.serialization.safe_globals([{short}]) context manager.")


def resolve(name, weights_only, where):
    """The object called ``name`` ('module:qualname'), if this load may use it."""
    obj = _DEFAULT_SAFE.get(name)
    if obj is not None:
        return obj
    with _lock:
        obj = _user_safe.get(name)
    if obj is not None:
        return obj
    if weights_only:
        raise refused(name, where)
    module, sep, qual = name.partition(":")
    if not sep or not module or not qual:
        raise ValueError(f"load: {where}: malformed global name {name!r}"[:300])
    try:
        return _import(module, qual)
    except (ImportError, AttributeError) as exc:
        raise AttributeError(f"load: {where}: cannot find {module}.{qual} ({exc}); define or "
                             "import it before loading, as for pickle") from None


# --- encoding an object (save side) ---------------------------------------------------
def encode_object(obj, prefix, flatten, memo):
    """The node for ``obj`` (no tensor, container or plain value). ``flatten(child,
    prefix)`` encodes children; ``memo`` maps id(obj) -> (id, obj) for shared objects."""
    if isinstance(obj, (bytes, bytearray)) and type(obj) in (bytes, bytearray):
        import base64
        node = {"b": base64.b64encode(bytes(obj)).decode("ascii")}
        return node if type(obj) is bytes else {"o": {"id": _new_id(memo, obj),
                                                      "f": "builtins:bytearray",
                                                      "a": {"tu": [node]}}}
    if _is_named(obj):  # a class or function: stored by name, as pickle does
        return {"g": _named(obj, prefix)}
    try:
        rv = obj.__reduce_ex__(4)
    except Exception as exc:
        raise TypeError(f"save: cannot store a value of type {type(obj).__name__} at "
                        f"{prefix or '<root>'}: {exc}") from None
    if isinstance(rv, str):  # a module-level singleton, named in obj's module
        return {"g": f"{_module_of(obj)}:{rv}"}
    if not isinstance(rv, tuple) or not 2 <= len(rv) <= 6:
        raise TypeError(f"save: {type(obj).__name__}.__reduce_ex__ returned {rv!r}"[:300])
    func, args = rv[0], rv[1]
    state, listitems, dictitems = (tuple(rv[2:5]) + (None, None, None))[:3]
    node = {}
    if func is copyreg.__newobj__:
        node["new"] = flatten(args[0], prefix)
        node["a"] = flatten(tuple(args[1:]), prefix)
    elif func is getattr(copyreg, "__newobj_ex__", None):
        cls, a, kw = args
        node["new"] = flatten(cls, prefix)
        node["a"] = flatten(tuple(a), prefix)
        node["kw"] = flatten(dict(kw), prefix)
    else:
        node["f"] = _named(func, prefix)
        node["a"] = flatten(tuple(args), prefix)
    node["id"] = _new_id(memo, obj)  # after the args, as load can only create it then
    if state is not None:
        node["s"] = flatten(state, prefix)
    if listitems is not None:
        node["li"] = flatten(list(listitems), prefix)
    if dictitems is not None:
        node["di"] = flatten([list(kv) for kv in dictitems], prefix)
    return {"o": node}


def _is_named(obj):
    return isinstance(obj, type) or type(obj).__name__ in ("function", "builtin_function_or_method")


def _named(obj, prefix):
    try:
        return global_name(obj)
    except TypeError as exc:
        raise TypeError(f"save: at {prefix or '<root>'}: {exc}") from None


def _module_of(obj):
    return getattr(obj, "__module__", None) or type(obj).__module__


def _new_id(memo, obj):
    k = len(memo)
    memo[id(obj)] = (k, obj)  # obj kept alive so its id is not reused during the save
    return k


# --- decoding (load side) ---------------------------------------------------------------
def decode_object(node, rebuild, memo, weights_only, where):
    """The object of an "o" node; ``rebuild(child)`` decodes children.

    Under weights_only a malformed node (an allowed class given state it cannot
    take) raises ValueError; with weights_only=False the class's own error passes.
    """
    if not weights_only:
        return _decode_object(node, rebuild, memo, weights_only, where)
    try:
        return _decode_object(node, rebuild, memo, weights_only, where)
    except (AttributeError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"load: {where}: malformed object node ({type(exc).__name__}: "
                         f"{exc})"[:400]) from None


def _decode_object(node, rebuild, memo, weights_only, where):
    if type(node) is not dict or type(node.get("id")) is not int:
        raise ValueError(f"load: {where}: malformed object node")
    if "new" in node:
        cls = rebuild(node["new"])
        if not isinstance(cls, type):
            raise ValueError(f"load: {where}: object node names a non-class to create")
        args = rebuild(node.get("a", {"tu": []}))
        kwargs = rebuild(node["kw"]) if "kw" in node else {}
        obj = cls.__new__(cls, *args, **kwargs)
    elif "f" in node:
        func = resolve(_str(node["f"], where), weights_only, where)
        args = rebuild(node.get("a", {"tu": []}))
        if not isinstance(args, tuple):
            raise ValueError(f"load: {where}: object arguments must be a tuple")
        obj = func(*args)
    else:
        raise ValueError(f"load: {where}: object node has neither 'f' nor 'new'")
    memo[node["id"]] = obj
    if "s" in node:
        _set_state(obj, rebuild(node["s"]), where)
    if "li" in node:
        items = rebuild(node["li"])
        if hasattr(obj, "extend"):
            obj.extend(items)
        else:
            for item in items:
                obj.append(item)
    if "di" in node:
        for k, v in rebuild(node["di"]):
            obj[k] = v
    return obj


def _str(value, where):
    if type(value) is not str:
        raise ValueError(f"load: {where}: malformed global name")
    return value


def _set_state(obj, state, where):
    setstate = getattr(type(obj), "__setstate__", None)
    if setstate is not None and setstate is not getattr(object, "__setstate__", None):
        obj.__setstate__(state)
        return
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        if not isinstance(state, dict):
            raise ValueError(f"load: {where}: object state must be a dict")
        obj.__dict__.update(state)
    if slots:
        for k, v in slots.items():
            setattr(obj, k, v)


def global_names(node, out=None):
    """Every 'module:qualname' a structure names (for get_unsafe_globals_in_checkpoint)."""
    out = set() if out is None else out
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            for k, v in n.items():
                if k in ("g", "f") and isinstance(v, str):
                    out.add(v)
                else:
                    stack.append(v)
        elif isinstance(n, list):
            stack.extend(n)
    return out


def get_unsafe_globals_in_checkpoint(f: _FileLike) -> list[str]:
    """The global names (dotted) that file ``f`` refers to and that a ``weights_only``
    load would refuse: what to review before allowlisting or ``weights_only=False``.

    Args:
        f (str, os.PathLike or binary file): the saved file.

    Example::

        >>> import io
        >>> from fastnn.serialization import get_unsafe_globals_in_checkpoint
        >>> buf = io.BytesIO()
        >>> fastnn.save(nn.ReLU(), buf)
        >>> _ = buf.seek(0)
        >>> [name.rsplit(".", 1)[-1] for name in get_unsafe_globals_in_checkpoint(buf)]
        ['ReLU']
    """
    from ._safetensors.read import _structure_globals
    names = _structure_globals(f)
    with _lock:
        allowed = set(_DEFAULT_SAFE) | set(_user_safe)
    return sorted(n.replace(":", ".") for n in names if n not in allowed)


def save(obj: Any, f: _FileLike, *args: Any, **kwargs: Any) -> None:
    """:func:`fastnn.save`, under the name ``torch.serialization.save`` has."""
    from .io import save as _save
    return _save(obj, f, *args, **kwargs)


def load(f: _FileLike, *args: Any, **kwargs: Any) -> Any:
    """:func:`fastnn.load`, under the name ``torch.serialization.load`` has."""
    from .io import load as _load
    return _load(f, *args, **kwargs)
