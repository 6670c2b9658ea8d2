"""Tensor: an array, its gradient, and the Function that produced it.

``Tensor.data`` is a NumPy array (or a CuPy array on the GPU). Operations on
Tensors are Functions (fastnn/autograd/function.py) whose forward/backward
work on those arrays; ``backward()`` walks the recorded graph.
"""
import numbers

import numpy as np

from .autograd import grad_mode
from .autograd.function import run_backward
from .random import default_generator, manual_seed

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

_default_dtype = float32


def set_default_dtype(dtype):
    global _default_dtype
    dt = np.dtype(dtype)
    if dt not in (float32, float64):
        raise TypeError(f"set_default_dtype: dtype must be float32 or float64, got {dt}")
    _default_dtype = dt


def get_default_dtype():
    return _default_dtype


def _as_array(data, dtype=None):
    """Convert Python data / arrays / Tensors to an array with PyTorch's dtype rules."""
    if isinstance(data, Tensor):
        arr = data.data
        return arr if dtype is None else arr.astype(np.dtype(dtype), copy=False)
    if hasattr(data, "__cuda_array_interface__"):
        return data if dtype is None else data.astype(np.dtype(dtype), copy=False)
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        arr = arr.astype(_default_dtype)
    elif arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "O":
        raise TypeError(f"tensor: could not convert data of type {type(data).__name__} to a tensor")
    return arr


class Tensor:
    """A multi-dimensional array with automatic differentiation."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_out_index", "_retains_grad",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # make ndarray (op) Tensor defer to Tensor's reflected ops

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = _as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._out_index = 0
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array):
        """A Tensor around ``array`` without copying (internal fast path)."""
        t = cls.__new__(cls)
        t.data = array
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._out_index = 0
        t._retains_grad = False
        return t

    # --- properties -----------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self):
        return self._ctx is None

    # --- autograd -------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError("only floating point tensors can require gradients, "
                               f"got dtype {self.data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        if self._ctx is not None:
            self._retains_grad = True

    def detach(self):
        return Tensor._wrap(self.data)

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    def _accumulate(self, g):
        if self.grad is None:
            self.grad = Tensor._wrap(g.copy() if g.base is not None or not g.flags.writeable else g) \
                if isinstance(g, np.ndarray) else Tensor._wrap(g.copy())
        else:
            self.grad.data = self.grad.data + g

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   "pass gradient=")
            g = np.ones_like(self.data)
        else:
            g = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if g.shape != self.data.shape:
                raise RuntimeError(f"backward: gradient has shape {g.shape}, expected {self.shape}")
            g = g.astype(self.data.dtype, copy=False)
        run_backward(self, g)

    # --- conversion -----------------------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars, got shape {self.shape}")
        return self.data.reshape(-1)[0].item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self):
        body = np.array2string(np.asarray(self.data), separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.data.dtype not in (_default_dtype, np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype=fastnn.{self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.data.reshape(-1)[0])

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)




# --- creation -----------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad=False):
    """A new Tensor holding a copy of ``data`` (PyTorch's dtype inference)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array):
    """A Tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def _size_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (numbers.Integral,)) or s < 0:
            raise ValueError(f"size: expected non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def _new(array, requires_grad):
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, dtype=None, requires_grad=False):
    return _new(np.zeros(_size_args(size), dtype=dtype or _default_dtype), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _new(np.ones(_size_args(size), dtype=dtype or _default_dtype), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return _new(np.empty(_size_args(size), dtype=dtype or _default_dtype), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = (np.dtype(np.bool_) if isinstance(fill_value, bool) else
                 np.dtype(np.int64) if isinstance(fill_value, numbers.Integral) else _default_dtype)
    return _new(np.full(_size_args((size,) if isinstance(size, numbers.Integral) else (tuple(size),)),
                        fill_value, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _new(np.eye(n, m, dtype=dtype or _default_dtype), requires_grad)


def randn(*size, dtype=None, requires_grad=False, generator=None):
    g = generator or default_generator()
    return _new(g.standard_normal(_size_args(size)).astype(dtype or _default_dtype), requires_grad)


def rand(*size, dtype=None, requires_grad=False, generator=None):
    g = generator or default_generator()
    return _new(g.random(_size_args(size)).astype(dtype or _default_dtype), requires_grad)


def randint(low, high=None, size=None, dtype=None, generator=None):
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required")
    g = generator or default_generator()
    return Tensor._wrap(g.integers(low, high, size=tuple(size)).astype(dtype or np.int64))


def randperm(n, dtype=None, generator=None):
    g = generator or default_generator()
    return Tensor._wrap(g.permutation(n).astype(dtype or np.int64))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if is_int else _default_dtype
    return _new(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _new(np.linspace(start, end, steps, dtype=dtype or _default_dtype), requires_grad)


def _like(fn, t, dtype, requires_grad, **kw):
    return _new(fn(t.data.shape, dtype=dtype or t.data.dtype, **kw), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _like(np.zeros, t, dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _like(np.ones, t, dtype, requires_grad)


def empty_like(t, dtype=None, requires_grad=False):
    return _like(np.empty, t, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _like(np.full, t, dtype, requires_grad, fill_value=fill_value)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


no_grad = grad_mode.no_grad
enable_grad = grad_mode.enable_grad
set_grad_enabled = grad_mode.set_grad_enabled
is_grad_enabled = grad_mode.is_grad_enabled

__all__ = [
    "Tensor", "tensor", "from_numpy", "is_tensor", "zeros", "ones", "empty", "full", "eye",
    "randn", "rand", "randint", "randperm", "arange", "linspace", "zeros_like", "ones_like",
    "empty_like", "full_like", "randn_like", "rand_like", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "manual_seed", "set_default_dtype",
    "get_default_dtype",
]
