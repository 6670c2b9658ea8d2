"""The JSON structure fastnn.save writes around the tensors (``__metadata__["fastnn.structure"]``):
_Flattener turns dicts, lists, tuples, tensors, arrays, Parameters, plain values and
named objects (fastnn/serialization.py) into nodes, collecting tensors by name;
_Rebuilder turns the nodes back into objects."""
import math
import numbers
from collections import OrderedDict

import numpy as np

from .. import serialization as _ser
from .._tensor import Tensor
from .header import _STRUCT_KEY, _bad

# How deep a saved structure may nest (dicts and lists inside each other). Far
# beyond any state_dict or checkpoint (an optimizer's is 4 deep), and shallow
# enough that the JSON encoder and decoder (three brackets per level) stay clear
# of Python's recursion limit wherever save/load are called from. Both sides
# check it, so whatever save writes, load reads.
_MAX_DEPTH = 100


def _is_flat_state_dict(obj):
    return isinstance(obj, dict) and all(
        isinstance(k, str) and isinstance(v, (Tensor, np.ndarray))
        and not getattr(v, "is_sparse", False) for k, v in obj.items())


class _Flattener:
    """Turns a saved object into its JSON structure, collecting tensors by name.

    A tensor (or array, or Parameter) met twice is stored once and named twice,
    so shared weights stay shared; objects met twice become {"r": id} nodes.
    """

    def __init__(self, tensors):
        self.tensors = tensors
        self.names = {}   # id(tensor or array) -> name
        self.memo = {}    # id(object) -> (memo id, object)
        self.depth = 0

    def __call__(self, obj, prefix):
        if self.depth > _MAX_DEPTH:
            raise ValueError(f"save: the structure is nested more than {_MAX_DEPTH} levels deep "
                             f"at {prefix[:200]} (or contains itself)")
        self.depth += 1
        try:
            return self._node(obj, prefix)
        finally:
            self.depth -= 1

    def _tensor_name(self, obj, prefix):
        name = self.names.get(id(obj))
        if name is not None:
            return name
        name = prefix or "_"
        if name in self.tensors or name == "__metadata__":
            raise ValueError(f"save: two tensors would both be stored under the name {name!r}; "
                             "rename keys containing '.'")
        self.tensors[name] = obj
        self.names[id(obj)] = name
        return name

    def _node(self, obj, prefix):
        if isinstance(obj, Tensor) and obj.is_sparse:  # its parts: data only, weights_only-safe
            c = obj.coalesce()
            return {"sp": [self(Tensor._wrap(c._indices), f"{prefix}.indices"),
                           self(c._values, f"{prefix}.values"), list(c.shape)]}
        if isinstance(obj, Tensor):
            name = self._tensor_name(obj, prefix)
            if type(obj) is not Tensor and type(obj).__name__ == "Parameter":
                return {"P": [name, bool(obj.requires_grad)]}
            return {"tg": name} if obj.requires_grad else {"t": name}
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind == "O":
                raise TypeError(f"save: object arrays cannot be stored (at {prefix or '<root>'})")
            return {"a": self._tensor_name(obj, prefix)}
        kind = type(obj)
        if kind is dict or kind is OrderedDict:
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} "
                                    f"at {prefix or '<root>'}")
                child = f"{prefix}.{k}" if prefix else str(k)
                items.append([k, self(v, child)])
            return {"d" if kind is dict else "od": items}
        if kind is list or kind is tuple:
            children = [self(v, f"{prefix}.{i}" if prefix else str(i)) for i, v in enumerate(obj)]
            return {"tu" if kind is tuple else "l": children}
        if isinstance(obj, np.generic):
            obj = obj.item()
        if obj is None or isinstance(obj, (bool, str)):
            return {"v": obj}
        if isinstance(obj, numbers.Integral):
            return {"v": int(obj)}
        if isinstance(obj, numbers.Real):
            v = float(obj)
            return {"f": repr(v)} if not math.isfinite(v) else {"v": v}
        seen = self.memo.get(id(obj))
        if seen is not None:
            return {"r": seen[0]}
        return _ser.encode_object(obj, prefix, self, self.memo)


def _flatten(obj, prefix, tensors, depth=0):
    """The JSON structure describing ``obj``; tensors are collected into ``tensors``."""
    return _Flattener(tensors)(obj, prefix)


class _Rebuilder:
    """Turns the JSON structure back into objects (the inverse of _Flattener)."""

    def __init__(self, tensors, path, weights_only):
        self.tensors = tensors
        self.path = path
        self.weights_only = weights_only
        self.memo = {}
        self.params = {}
        self.depth = 0

    def __call__(self, node):
        if self.depth > _MAX_DEPTH:
            raise _bad(self.path, f"{_STRUCT_KEY} is nested more than {_MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return self._node(node)
        finally:
            self.depth -= 1

    def _tensor(self, value):
        if type(value) is not str or value not in self.tensors:
            raise _bad(self.path, f"{_STRUCT_KEY} refers to missing tensor {value!r}"[:300])
        return self.tensors[value]

    def _node(self, node):
        path = self.path
        try:
            (kind, value), = node.items()
        except (AttributeError, ValueError):
            raise _bad(path, f"malformed {_STRUCT_KEY} entry {node!r}"[:300]) from None
        if kind == "t":
            return self._tensor(value)
        if kind == "tg":
            t = self._tensor(value)
            if t._data.dtype.kind in "fc":
                t.requires_grad = True
            return t
        if kind == "a":
            return self._tensor(value)._data
        if kind == "P":
            if type(value) is not list or len(value) != 2 or type(value[1]) is not bool:
                raise _bad(path, f"malformed parameter in {_STRUCT_KEY}")
            name, rg = value
            if name not in self.params:
                from ..nn.parameter import Parameter
                self.params[name] = Parameter(self._tensor(name), requires_grad=rg)
            return self.params[name]
        if kind in ("d", "od"):
            if type(value) is not list:
                raise _bad(path, f"malformed dict in {_STRUCT_KEY}")
            out = {} if kind == "d" else OrderedDict()
            for item in value:
                if type(item) is not list or len(item) != 2 or type(item[0]) not in (str, int):
                    raise _bad(path, f"malformed dict item in {_STRUCT_KEY}")
                out[item[0]] = self(item[1])
            return out
        if kind in ("l", "tu"):
            if type(value) is not list:
                raise _bad(path, f"malformed list in {_STRUCT_KEY}")
            items = [self(v) for v in value]
            return tuple(items) if kind == "tu" else items
        if kind == "v":
            return value
        if kind == "f":
            if value not in ("nan", "inf", "-inf"):  # what save writes for non-finite floats
                raise _bad(path, f"malformed float {value!r} in {_STRUCT_KEY}"[:300])
            return float(value)
        if kind == "sp":
            if type(value) is not list or len(value) != 3 or type(value[2]) is not list:
                raise _bad(path, f"malformed sparse tensor in {_STRUCT_KEY}")
            from ..sparse import sparse_coo_tensor
            indices, values = self(value[0]), self(value[1])
            try:
                return sparse_coo_tensor(indices, values, value[2]).coalesce()
            except (TypeError, ValueError, RuntimeError) as exc:
                raise _bad(path, f"bad sparse tensor in {_STRUCT_KEY}: {exc}") from None
        if kind == "b":
            import base64
            if type(value) is not str:
                raise _bad(path, f"malformed bytes in {_STRUCT_KEY}")
            return base64.b64decode(value.encode("ascii"), validate=True)
        if kind == "g":
            if type(value) is not str:
                raise _bad(path, f"malformed global name in {_STRUCT_KEY}")
            return _ser.resolve(value, self.weights_only, path)
        if kind == "r":
            if type(value) is not int or value not in self.memo:
                raise _bad(path, f"{_STRUCT_KEY} refers to an unknown object {value!r}"[:300])
            return self.memo[value]
        if kind == "o":
            return _ser.decode_object(value, self, self.memo, self.weights_only, path)
        raise _bad(path, f"unknown node kind {kind!r} in {_STRUCT_KEY}"[:300])


def _rebuild(node, tensors, path, depth=0, weights_only=True):
    return _Rebuilder(tensors, path, weights_only)(node)
