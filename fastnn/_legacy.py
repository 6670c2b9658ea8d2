"""PyTorch's legacy tensor constructors: ``Tensor(2, 3)``, ``FloatTensor([1, 2])``, ...

``fastnn.Tensor(*sizes)`` makes a tensor of that shape and ``fastnn.Tensor(data)``
converts ``data``, both in the default float dtype, as ``torch.Tensor`` does
(``fastnn.tensor(data)`` infers the dtype instead). ``FloatTensor``,
``DoubleTensor``, ``HalfTensor``, ``LongTensor``, ``IntTensor``, ``ShortTensor``,
``CharTensor``, ``ByteTensor`` and ``BoolTensor`` do the same in their dtype;
as in PyTorch they are not subclasses of Tensor, they make plain Tensors, and
``isinstance(t, fastnn.FloatTensor)`` asks whether ``t`` is a float32 CPU tensor.
The "uninitialised" memory of the sizes form is zeros here (deterministic).
"""
import numbers

import numpy as np

from . import _sizes


def _is_size_args(args):
    return len(args) >= 1 and all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                                  for a in args)


def legacy_array(args, dtype, what="Tensor"):
    """The array ``what(*args)`` holds, in ``dtype``."""
    from ._tensor import Tensor
    dtype = np.dtype(dtype)
    if not args:
        return np.empty((0,), dtype)
    if _is_size_args(args):
        shape = tuple(int(a) for a in args)
        for n in shape:
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                                   f"{list(shape)}")
        _sizes.check_alloc(f"{what}: size={shape}", shape, dtype.itemsize)
        return np.zeros(shape, dtype)
    if len(args) != 1:
        raise TypeError(f"{what}(): expected sizes (ints) or one sequence of data, got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    (data,) = args
    if isinstance(data, Tensor):
        arr = data._data
        return arr if arr.dtype == dtype else arr.astype(dtype)
    if isinstance(data, numbers.Number) and not isinstance(data, np.generic):
        raise TypeError(f"{what}(): data must be a sequence (got {type(data).__name__}); "
                        f"use fastnn.tensor({data!r}) for a 0-d tensor")
    arr = np.array(data)
    if arr.dtype.kind == "O":
        raise TypeError(f"{what}(): could not convert data of type {type(data).__name__}")
    return arr.astype(dtype)


class _LegacyType(type):
    """Metaclass: calling a legacy type builds a Tensor; isinstance checks the dtype."""

    def __call__(cls, *args, device=None):
        from ._tensor import Tensor
        t = Tensor._wrap(legacy_array(args, cls._legacy_dtype, cls.__name__))
        if device is not None and str(device) != "cpu":
            t = t.to(device)
        return t

    def __instancecheck__(cls, obj):
        from ._tensor import Tensor
        return (isinstance(obj, Tensor) and not getattr(obj, "is_sparse", False)
                and isinstance(obj._data, np.ndarray) and obj._data.dtype == cls._legacy_dtype)

    def __repr__(cls):
        return f"<class 'fastnn.{cls.__name__}'>"


def _make(name, dtype):
    return _LegacyType(name, (), {"_legacy_dtype": np.dtype(dtype), "__module__": "fastnn",
                                   "__doc__": f"Legacy constructor of {np.dtype(dtype)} tensors."})


FloatTensor = _make("FloatTensor", np.float32)
DoubleTensor = _make("DoubleTensor", np.float64)
HalfTensor = _make("HalfTensor", np.float16)
LongTensor = _make("LongTensor", np.int64)
IntTensor = _make("IntTensor", np.int32)
ShortTensor = _make("ShortTensor", np.int16)
CharTensor = _make("CharTensor", np.int8)
ByteTensor = _make("ByteTensor", np.uint8)
BoolTensor = _make("BoolTensor", np.bool_)

LEGACY_TYPES = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor,
                CharTensor, ByteTensor, BoolTensor)
# "fastnn.FloatTensor" and "torch.FloatTensor" -> float32, for Tensor.type("...")
BY_NAME = {f"{prefix}.{c.__name__}": c._legacy_dtype
           for c in LEGACY_TYPES for prefix in ("fastnn", "torch")}

__all__ = [c.__name__ for c in LEGACY_TYPES]
