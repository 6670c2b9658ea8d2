"""Shared helpers for layer constructors: int-or-tuple arguments, parameter creation."""
import collections.abc
from itertools import repeat

import numpy as np

from ... import _sizes
from ..._tensor import get_default_dtype
from .. import functional as F  # noqa: F401 (the layers' ``F``, as torch.nn.functional)
from ..parameter import Parameter


def _ntuple(n, name="_ntuple"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")


def _factory_dtype(dtype):
    dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
    if dt.kind != "f":
        raise TypeError(f"layer parameters must be floating point, got dtype={dt}")
    return dt


def _empty_parameter(shape, dtype=None, requires_grad=True, what=None):
    """An uninitialised Parameter of ``shape`` (reset_parameters fills it), its size
    checked first; ``what`` names the layer and the constructor arguments."""
    from ..._tensor import Tensor
    dt = _factory_dtype(dtype)
    _sizes.check_alloc(what or "parameter", shape, dt.itemsize, describe="a parameter")
    return Parameter(Tensor._wrap(np.empty(shape, dtype=dt)), requires_grad=requires_grad)


def _place(module, device):
    """Honour a ``device=`` factory argument after construction."""
    if device is not None:
        module.to(device)
