"""Tensor: an array, its gradient, and the Function that produced it.

``Tensor._data`` is a NumPy array (or a CuPy array on the GPU). Operations on
Tensors are Functions (fastnn/autograd/function.py) whose forward/backward
work on those arrays; ``backward()`` walks the recorded graph.
"""
import builtins as _builtins
import math
import numbers

import numpy as np

from . import _device_move as _dm
from . import _compat
from . import _diag
from . import _factory
from . import _legacy
from . import _sizes
from .autograd import function, grad_mode
from .device import device
from .autograd.function import run_backward
from .ops import arithmetic as _ops_ar
from .ops import indexing as _ops_ix
from .ops import reduction as _ops_red
from .ops import shape as _ops_sh
from .ops._util import norm_dim, norm_dims
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
        arr = data._data
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


class _ScalarConversionError(RuntimeError, ValueError):
    """item() of a tensor with more than one element."""


class Tensor:
    """A multi-dimensional array with automatic differentiation."""

    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_index", "_retains_grad",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # make ndarray (op) Tensor defer to Tensor's reflected ops

    def __init__(self, *args, dtype=None, requires_grad=False, device=None):
        # PyTorch's legacy constructor (fastnn/_legacy.py): Tensor(2, 3) is a 2x3 and
        # Tensor([1, 2]) a float tensor in the default dtype; fastnn.tensor() infers.
        if len(args) == 2 and dtype is None and not isinstance(args[1], numbers.Integral):
            args, dtype = args[:1], args[1]  # fastnn's older Tensor(data, dtype)
        if dtype is not None and len(args) == 1 and not _legacy._is_size_args(args):
            self._data = _as_array(args[0], dtype)
        else:
            self._data = _legacy.legacy_array(args, dtype or _default_dtype)
        if device is not None and str(device) != "cpu":
            self._data = _dm.move_array(self._data, _dm.as_device(device))
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
        if isinstance(array, np.generic):
            # NumPy gives scalars for 0-d results (-a, a[i], a.sum()); a 0-d tensor
            # holds a 0-d array, so in-place ops (ufunc out=, a[...] =) work on it.
            array = np.asarray(array)
        t = cls.__new__(cls)
        t._data = array
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._out_index = 0
        t._retains_grad = False
        return t

    # --- .data: PyTorch's detached view ------------------------------------------------
    # The array itself lives in ``_data`` (what Functions and kernels see). As in
    # PyTorch, ``t.data`` is a Tensor sharing that memory, outside the graph, and
    # assigning ``t.data = other`` swaps the array without touching the graph.
    @property
    def data(self):
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else _as_array(value)

    # --- properties -----------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self._data.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self):
        return self._ctx is None

    # --- autograd -------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only floating point tensors can require gradients, "
                               f"got dtype {self._data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        if self._ctx is not None:
            self._retains_grad = True

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` in backward once this leaf's ``.grad`` holds its gradient.

        Returns a handle whose ``remove()`` unregisters it (fastnn/autograd/hooks.py).
        """
        from .autograd import hooks
        return hooks.register(self, hook)

    def detach(self):
        return Tensor._wrap(self._data)

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    def _accumulate(self, g):
        if self.grad is None:
            self.grad = Tensor._wrap(g.copy() if g.base is not None or not g.flags.writeable else g) \
                if isinstance(g, np.ndarray) else Tensor._wrap(g.copy())
        else:
            self.grad._data = np.asarray(self.grad._data + g) \
                if isinstance(self.grad._data, np.ndarray) else self.grad._data + g

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   "pass gradient=")
            g = np.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if g.shape != self._data.shape:
                raise RuntimeError(f"backward: gradient has shape {g.shape}, expected {self.shape}")
            g = g.astype(self._data.dtype, copy=False)
        run_backward(self, g)

    # --- conversion -----------------------------------------------------------------
    def numpy(self, *, force=False):
        # force=True: as t.detach().cpu().numpy() (shares memory on the CPU), as torch
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return _dm.to_numpy(self._data)

    def item(self):
        if self._data.size != 1:
            # RuntimeError as torch raises; also a ValueError, which fastnn raised before
            raise _ScalarConversionError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar (only one element tensors can be converted to Python "
                               f"scalars, got shape {self.shape})")
        return self._data.reshape(-1)[0].item()

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __repr__(self):
        body = _format_array(_dm.to_numpy(self._data))
        extras = []
        if self._data.dtype not in (_default_dtype, np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype=fastnn.{self._data.dtype}")
        if not isinstance(self._data, np.ndarray):
            extras.insert(0, f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}Backward0>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(-1)[0])

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    # --- dtype / device -------------------------------------------------------------
    @property
    def device(self):
        return _dm.device_of(self._data)

    @property
    def is_cuda(self):
        return not isinstance(self._data, np.ndarray)

    @property
    def is_cpu(self):
        return isinstance(self._data, np.ndarray)

    # Devices fastnn has no backend for: scripts test these to pick a device.
    is_xpu = is_mps = is_xla = is_ipu = is_mtia = is_maia = is_meta = is_vulkan = \
        is_quantized = is_mkldnn = is_nested = is_sparse = is_sparse_csr = property(lambda self: False)

    def __format__(self, format_spec):
        # As PyTorch: a 0-d tensor formats as its Python number (f"{loss:.4f}");
        # any other tensor only with an empty spec.
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        device, dtype = _dm.parse_to_args(args, kwargs)
        out = self
        if device is not None:
            out = out._to_device(device)
        if dtype is not None and dtype != out._data.dtype:
            out = _Cast(out, dtype)
        return out

    def _to_device(self, dev):
        target = _dm.as_device(dev)
        if _dm.device_of(self._data) == target or (target.type == "cuda" and target.index is None
                                                  and not isinstance(self._data, np.ndarray)):
            return self
        return _ToDevice.apply(self, target)

    def cpu(self):
        return self._to_device("cpu")

    def cuda(self, device=None):
        return self._to_device("cuda" if device is None else device)

    def type(self, dtype=None):
        if dtype is None:
            return _TYPE_NAMES.get(self._data.dtype, str(self._data.dtype))
        if isinstance(dtype, str) and dtype in _legacy.BY_NAME:  # t.type("torch.LongTensor")
            dtype = _legacy.BY_NAME[dtype]
        return self.to(getattr(dtype, "_legacy_dtype", dtype))  # t.type(fastnn.LongTensor)

    def type_as(self, other):
        return self.to(other._data.dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def short(self):
        return self.to(np.int16)

    def bool(self):
        return self.to(np.bool_)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def element_size(self):
        return self._data.dtype.itemsize

    def is_contiguous(self):
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if isinstance(self._data, np.ndarray) \
            else int(self._data.data.ptr)

    # --- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        a, b = _promote(self, other)
        return _Add(a, b)

    def __radd__(self, other):
        b, a = _promote(self, other)
        return _Add(a, b)

    def __sub__(self, other):
        a, b = _promote(self, other)
        return _Sub(a, b)

    def __rsub__(self, other):
        b, a = _promote(self, other)
        return _Sub(a, b)

    def __mul__(self, other):
        a, b = _promote(self, other)
        return _Mul(a, b)

    def __rmul__(self, other):
        b, a = _promote(self, other)
        return _Mul(a, b)

    def __truediv__(self, other):
        a, b = _promote(self, other, true_div=True)
        return _Div(a, b)

    def __rtruediv__(self, other):
        b, a = _promote(self, other, true_div=True)
        return _Div(a, b)

    def __floordiv__(self, other):
        a, b = _promote(self, other)
        return _ops_ar.FloorDivide.apply(a, b)

    def __rfloordiv__(self, other):
        b, a = _promote(self, other)
        return _ops_ar.FloorDivide.apply(a, b)

    def __mod__(self, other):
        a, b = _promote(self, other)
        return _ops_ar.Remainder.apply(a, b)

    def __rmod__(self, other):
        b, a = _promote(self, other)
        return _ops_ar.Remainder.apply(a, b)

    def __pow__(self, other):
        a, b = _promote(self, other)
        return _Pow(a, b)

    def __rpow__(self, other):
        b, a = _promote(self, other)
        return _Pow(a, b)

    def __matmul__(self, other):
        a, b = _promote(self, other)
        return _MatMul(a, b)

    def __rmatmul__(self, other):
        b, a = _promote(self, other)
        return _MatMul(a, b)

    def __neg__(self):
        return _Neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _Abs(self)

    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (bitwise not) is only defined for bool and integer tensors")
        return Tensor._wrap(~self._data)

    def __and__(self, other):
        return Tensor._wrap(self._data & _raw(other))

    def __or__(self, other):
        return Tensor._wrap(self._data | _raw(other))

    def __xor__(self, other):
        return Tensor._wrap(self._data ^ _raw(other))

    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__

    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            q = self / other
            return _ops_ar.ZeroGrad.apply(q, np.trunc).to(_result_dtype(self, other))
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")

    def pow(self, exponent):
        return self ** exponent

    def remainder(self, other):
        return self % other

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        if self._data.ndim != 2 or _raw(other).ndim != 2:
            raise RuntimeError("mm: both arguments must be 2-D")
        return self @ other

    def bmm(self, other):
        if self._data.ndim != 3 or _raw(other).ndim != 3:
            raise RuntimeError("bmm: both arguments must be 3-D")
        return self @ other

    def dot(self, other):
        return (self * other).sum()

    def maximum(self, other):
        a, b = _promote(self, other)
        return _ops_ar.Maximum.apply(a, b)

    def minimum(self, other):
        a, b = _promote(self, other)
        return _ops_ar.Minimum.apply(a, b)

    # --- comparisons (bool tensors, no graph) -------------------------------------------
    def __eq__(self, other):
        return Tensor._wrap(np.asarray(self._data == _raw(other)))

    def __ne__(self, other):
        return Tensor._wrap(np.asarray(self._data != _raw(other)))

    def __lt__(self, other):
        return Tensor._wrap(np.asarray(self._data < _raw(other)))

    def __le__(self, other):
        return Tensor._wrap(np.asarray(self._data <= _raw(other)))

    def __gt__(self, other):
        return Tensor._wrap(np.asarray(self._data > _raw(other)))

    def __ge__(self, other):
        return Tensor._wrap(np.asarray(self._data >= _raw(other)))

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def equal(self, other):
        o = _raw(other)
        return self._data.shape == np.shape(o) and bool((self._data == o).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isnan(self):
        return Tensor._wrap(np.isnan(self._data))

    def isinf(self):
        return Tensor._wrap(np.isinf(self._data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self._data))

    # --- unary math ---------------------------------------------------------------------
    def exp(self):
        return _ops_ar.Exp.apply(_floatify(self))

    def log(self):
        return _ops_ar.Log.apply(_floatify(self))

    def log1p(self):
        return (self + 1).log() if self.requires_grad else Tensor._wrap(np.log1p(_floatify(self)._data))

    def sqrt(self):
        return _ops_ar.Sqrt.apply(_floatify(self))

    def rsqrt(self):
        return 1 / self.sqrt()

    def abs(self):
        return _Abs(self)

    def neg(self):
        return _Neg(self)

    negative = neg

    def sin(self):
        return _ops_ar.Sin.apply(_floatify(self))

    def cos(self):
        return _ops_ar.Cos.apply(_floatify(self))

    def sigmoid(self):
        return _ops_ar.Sigmoid.apply(_floatify(self))

    def tanh(self):
        return _ops_ar.Tanh.apply(_floatify(self))

    def relu(self):
        return _ops_ar.Relu.apply(self)

    def reciprocal(self):
        return 1 / self

    def square(self):
        return self * self

    def sign(self):
        return _ops_ar.ZeroGrad.apply(self, np.sign)

    def floor(self):
        return _ops_ar.ZeroGrad.apply(self, np.floor)

    def ceil(self):
        return _ops_ar.ZeroGrad.apply(self, np.ceil)

    def trunc(self):
        return _ops_ar.ZeroGrad.apply(self, np.trunc)

    def round(self, decimals=0):
        return _ops_ar.ZeroGrad.apply(self, np.round if decimals == 0 else
                                      (lambda a: np.round(a, decimals)))

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        if self._data.dtype.kind in "iub" and _builtins.any(
                isinstance(v, float) for v in (min, max)):
            return _ops_ar.Clamp.apply(self.to(_default_dtype), min=min, max=max)
        return _ops_ar.Clamp.apply(self, min=min, max=max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    # --- reductions ---------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind == "b":
            x = x.to(np.int64)
        return _Sum(x, norm_dims(dim, x._data.ndim), keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be a floating "
                               f"point type, but got {x._data.dtype}")
        return _Mean(x, norm_dims(dim, x._data.ndim), keepdim)

    def _correction(self, unbiased, correction):
        if correction is not None:
            return correction
        return 1 if unbiased is None or unbiased else 0

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _ops_red.Var.apply(self, norm_dims(dim, self._data.ndim), keepdim,
                                  self._correction(unbiased, correction))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        return _ops_red.Std.apply(self, norm_dims(dim, self._data.ndim), keepdim,
                                  self._correction(unbiased, correction))

    def prod(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        axis = None if dim is None else norm_dim(dim, x._data.ndim)
        return _ops_red.Prod.apply(x, axis, keepdim)

    def _extreme(self, dim, keepdim, is_max):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if is_max else self.minimum(dim)
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0")
            return _ops_red.Extreme.apply(self, is_max)
        axis = norm_dim(dim, self._data.ndim)
        a = self._data if self._data.ndim else self._data.reshape(1)
        idx = (np.argmax if is_max else np.argmin)(a, axis=axis, keepdims=True)
        values = _ops_red.SelectAlong.apply(self if self._data.ndim else self.reshape(1), idx, axis,
                                            keepdim or self._data.ndim == 0)
        if self._data.ndim == 0:
            values = values.reshape(())
            idx = idx.reshape(())
        elif not keepdim:
            idx = np.squeeze(idx, axis)
        cls = _MaxResult if is_max else _MinResult
        return cls(values, Tensor._wrap(idx))

    def max(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        return self._extreme(dim, keepdim, False)

    def amax(self, dim=(), keepdim=False):
        dims = norm_dims(dim if dim != () else None, self._data.ndim)
        return _ops_red.AmaxAmin.apply(self, dims, keepdim, True)

    def amin(self, dim=(), keepdim=False):
        dims = norm_dims(dim if dim != () else None, self._data.ndim)
        return _ops_red.AmaxAmin.apply(self, dims, keepdim, False)

    def argmax(self, dim=None, keepdim=False):
        return _arg_extreme(self, dim, keepdim, np.argmax)

    def argmin(self, dim=None, keepdim=False):
        return _arg_extreme(self, dim, keepdim, np.argmin)

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(self._data.all(axis=None if dim is None else
                                                     norm_dims(dim, self._data.ndim),
                                                     keepdims=keepdim)))

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(self._data.any(axis=None if dim is None else
                                                     norm_dims(dim, self._data.ndim),
                                                     keepdims=keepdim)))

    def norm(self, p="fro", dim=None, keepdim=False):
        if p == "fro" or p is None:
            p = 2
        elif p == "nuc":
            raise NotImplementedError("norm: p='nuc' is not supported")
        return _ops_red.Norm.apply(_floatify(self), float(p), norm_dims(dim, self._data.ndim), keepdim)

    def softmax(self, dim):
        from .nn import functional as F
        return F.softmax(self, dim)

    def log_softmax(self, dim):
        from .nn import functional as F
        return F.log_softmax(self, dim)

    # --- shape ---------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self._data.shape:
            return self
        return _Reshape(self, shape)

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) and not \
                isinstance(shape[0], (numbers.Integral,)):
            return self.to(shape[0])  # view(dtype) is not a reinterpretation here
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        nd = self._data.ndim
        if nd == 0:
            return self.reshape(1)
        s = norm_dim(start_dim, nd, "start_dim")
        e = norm_dim(end_dim, nd, "end_dim")
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:
            return self
        shp = self._data.shape
        return self.reshape(shp[:s] + (-1 if 0 not in shp[s:e + 1] else 0,) + shp[e + 1:])

    def unflatten(self, dim, sizes):
        shp = self._data.shape
        d = norm_dim(dim, len(shp))
        return self.reshape(shp[:d] + tuple(sizes) + shp[d + 1:])

    def squeeze(self, dim=None):
        shp = self._data.shape
        if dim is None:
            new = tuple(s for s in shp if s != 1)
        else:
            dims = norm_dims(dim, len(shp))
            new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
        return self if new == shp else _Reshape(self, new)

    def unsqueeze(self, dim):
        shp = self._data.shape
        n = len(shp) + 1
        if not -n <= dim < n:
            raise IndexError(f"unsqueeze: dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {dim})")
        d = dim % n
        return _Reshape(self, shp[:d] + (1,) + shp[d:])

    def permute(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:
            raise RuntimeError(f"permute: number of dims don't match ({len(dims)} given for a "
                               f"{nd}-D tensor)")
        perm = tuple(norm_dim(d, nd) for d in dims)
        if len(set(perm)) != nd:
            raise RuntimeError("permute: repeated dim")
        return _ops_sh.Permute.apply(self, perm)

    def transpose(self, dim0, dim1):
        nd = self._data.ndim
        if nd == 0:
            return self
        d0, d1 = norm_dim(dim0, nd), norm_dim(dim1, nd)
        if d0 == d1:
            return self
        return _ops_sh.SwapAxes.apply(self, d0, d1)

    swapaxes = transpose

    def t(self):
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self._data.ndim}D")
        return self.transpose(0, 1) if self._data.ndim == 2 else self

    @property
    def T(self):
        nd = self._data.ndim
        return self if nd < 2 else self.permute(*range(nd - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        shp = self._data.shape
        lead = len(sizes) - len(shp)
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                               f"or equal to the number of dimensions in the tensor ({len(shp)})")
        out = []
        for i, s in enumerate(sizes):
            if s == -1:
                if i < lead:
                    raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
                s = shp[i - lead]
            elif i >= lead and shp[i - lead] != 1 and shp[i - lead] != s:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the "
                                   f"existing size ({shp[i - lead]}) at non-singleton dimension {i}. "
                                   f"Target sizes: {list(sizes)}. Tensor sizes: {list(shp)}")
            out.append(s)
        out = tuple(out)
        if out == shp:
            return self
        # A view, as in PyTorch: large is fine, nothing is allocated. Only a shape
        # NumPy cannot index (more than 2**63 bytes) or a negative size is refused.
        _sizes.check_shape(f"expand: sizes={list(sizes)}", out)
        if math.prod(out) * self._data.itemsize >= 2 ** 63:
            raise ValueError(f"expand: sizes={list(sizes)} give more elements than an array "
                             "can index (2**63 bytes)")
        return _ops_sh.Expand.apply(self, out)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(*shape)

    def repeat(self, *sizes):
        return self._repeat("repeat", _shape_arg(sizes))

    def _repeat(self, name, sizes):
        if len(sizes) < self._data.ndim:
            raise RuntimeError(f"{name}: number of dimensions of repeat dims can not be smaller "
                               "than number of dimensions of tensor")
        _sizes.check_shape(f"{name}: sizes={list(sizes)}", sizes)
        shp = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        _sizes.check_alloc(f"{name}: sizes={list(sizes)}", tuple(a * r for a, r in zip(shp, sizes)),
                           self._data.itemsize, like=self._data)
        return _ops_sh.Repeat.apply(self, sizes)

    def flip(self, *dims):
        dims = _shape_arg(dims)
        return _ops_sh.Flip.apply(self, norm_dims(dims, self._data.ndim))

    def contiguous(self):
        if self._data.flags.c_contiguous:
            return self
        return _ops_sh.Clone.apply(self)

    def clone(self):
        return _ops_sh.Clone.apply(self)

    def split(self, split_size_or_sections, dim=0):
        d = norm_dim(dim, self._data.ndim)
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, numbers.Integral):
            step = int(split_size_or_sections)
            sizes = [_builtins.min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if _builtins.sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} do not sum to {n} along dim {dim}")
        out, start = [], 0
        pre = (slice(None),) * d
        for s in sizes:
            out.append(self[pre + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def chunk(self, chunks, dim=0):
        n = self._data.shape[norm_dim(dim, self._data.ndim)]
        return self.split(_builtins.max(1, -(-n // chunks)), dim)

    def unbind(self, dim=0):
        d = norm_dim(dim, self._data.ndim)
        pre = (slice(None),) * d
        return tuple(self[pre + (i,)] for i in range(self._data.shape[d]))

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def gather(self, dim, index):
        return gather(self, dim, index)

    def masked_fill(self, mask, value):
        m = _raw(mask)
        if isinstance(value, Tensor):
            return where(mask, value.to(self._data.dtype), self)
        return _ops_ar.Where.apply(m, self._data.dtype.type(value), self)

    def masked_fill_(self, mask, value):
        if grad_mode._state.record and (self.requires_grad or
                                   (isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace()
            self._rebind(self._snapshot().masked_fill(mask, value))
            return self
        np.copyto(self._data, _raw(value), where=np.broadcast_to(_raw(mask), self._data.shape))
        return self

    def masked_select(self, mask):
        m = np.broadcast_to(_raw(mask), np.broadcast_shapes(self._data.shape, np.shape(_raw(mask))))
        return self.expand(m.shape)[Tensor._wrap(np.ascontiguousarray(m))]

    def index_select(self, dim, index):
        idx = _raw(index)
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise RuntimeError("index_select(): index must be a 1-D integer tensor")
        d = norm_dim(dim, self._data.ndim)
        return self[(slice(None),) * d + (Tensor._wrap(idx.reshape(-1)),)]

    def narrow(self, dim, start, length):
        d = norm_dim(dim, self._data.ndim)
        start = int(start) % self._data.shape[d] if start < 0 else int(start)
        return self[(slice(None),) * d + (slice(start, start + int(length)),)]

    def select(self, dim, index):
        d = norm_dim(dim, self._data.ndim)
        return self[(slice(None),) * d + (int(index),)]

    def _scatter(self, dim, index, src, add):
        idx = _raw(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("scatter(): Expected dtype int64 for index")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("scatter(): Index tensor must have the same number of dimensions "
                               "as self tensor")
        d = norm_dim(dim, self._data.ndim)
        if isinstance(src, Tensor):
            src = src if src._data.dtype == self._data.dtype else src.to(self._data.dtype)
        else:
            src = self._data.dtype.type(src)
        return _ops_ix.Scatter.apply(self, idx, src, d, add)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        if src is None:
            src = value
        if reduce not in (None, "add"):
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported")
        return self._scatter(dim, index, src, reduce == "add")

    def scatter_add(self, dim, index, src):
        return self._scatter(dim, index, src, True)

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._inplace(lambda a, _: a.scatter(dim, index, src, value, reduce), None,
                             None, lambda: self.scatter(dim, index, src, value, reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda a, _: a.scatter_add(dim, index, src), None,
                             None, lambda: self.scatter_add(dim, index, src))

    def index_fill(self, dim, index, value):
        d = norm_dim(dim, self._data.ndim)
        mask = np.zeros(self._data.shape[d], bool)
        mask[_raw(index)] = True
        mask = mask.reshape((-1,) + (1,) * (self._data.ndim - d - 1))
        return self.masked_fill(np.broadcast_to(mask, self._data.shape), value)

    def cumsum(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "iub":
            x = x.to(np.int64)
        return _ops_ix.Cumsum.apply(x, norm_dim(dim, x._data.ndim))

    def cumprod(self, dim, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "iub":
            x = x.to(np.int64)
        return _ops_ix.Cumprod.apply(x, norm_dim(dim, x._data.ndim))

    def roll(self, shifts, dims=None):
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
        dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts ({len(shifts)}) and dims ({len(dims)}) must align")
        axes = tuple(norm_dim(d, self._data.ndim) for d in dims)
        return _ops_ix.Roll.apply(self, tuple(int(v) for v in shifts), axes)

    def tril(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError("tril: input tensor must have at least 2 dimensions")
        return _ops_ix.TriMask.apply(self, int(diagonal), False)

    def triu(self, diagonal=0):
        if self._data.ndim < 2:
            raise RuntimeError("triu: input tensor must have at least 2 dimensions")
        return _ops_ix.TriMask.apply(self, int(diagonal), True)

    def sort(self, dim=-1, descending=False, stable=False):
        a = self._data if self._data.ndim else self._data.reshape(1)
        d = norm_dim(dim, a.ndim)
        # a stable sort, also for descending (ties keep their order, as PyTorch's
        # stable=True; torch's default may order ties differently, values agree)
        idx = np.argsort(-a if descending and a.dtype.kind != "b" else
                         (~a if descending else a), axis=d, kind="stable")
        if descending and a.dtype.kind in "f":
            nan = np.isnan(np.take_along_axis(a, idx, d))  # NaN sorts as largest, like torch
            if nan.any():
                idx = np.argsort(np.where(np.isnan(a), -np.inf, -a), axis=d, kind="stable")
        src = self if self._data.ndim else self.reshape(1)
        values = _ops_red.SelectAlong.apply(src, idx, d, True)
        if not self._data.ndim:
            values, idx = values.reshape(()), idx.reshape(())
        return _SortResult(values, Tensor._wrap(idx.astype(np.int64, copy=False)))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable)[1]

    def topk(self, k, dim=-1, largest=True, sorted=True):
        a = self._data if self._data.ndim else self._data.reshape(1)
        d = norm_dim(dim, a.ndim)
        k = int(k)
        if not 0 <= k <= a.shape[d]:
            raise RuntimeError(f"topk: k ({k}) out of range for dimension {dim} of size {a.shape[d]}")
        key = -a if largest and a.dtype.kind != "b" else a
        idx = np.take(np.argsort(key, axis=d, kind="stable"), np.arange(k), axis=d)
        src = self if self._data.ndim else self.reshape(1)
        values = _ops_red.SelectAlong.apply(src, idx, d, True)
        return _TopkResult(values, Tensor._wrap(idx.astype(np.int64, copy=False)))

    def logsumexp(self, dim, keepdim=False):
        x = _floatify(self)
        dims = norm_dims(dim, x._data.ndim)
        m = np.max(x._data, axis=dims, keepdims=True) if x._data.size else \
            np.zeros([1] * x._data.ndim, x._data.dtype)
        m = np.where(np.isfinite(m), m, 0).astype(x._data.dtype)
        out = (x - Tensor._wrap(m)).exp().sum(dims, keepdim=True).log() + Tensor._wrap(m)
        return out if keepdim else out.squeeze(dims) if x._data.ndim else out

    def nonzero(self, as_tuple=False):
        nz = np.nonzero(self._data if self._data.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in nz)
        return Tensor._wrap(np.stack(nz, axis=1).astype(np.int64) if nz else
                            np.zeros((0, 0), np.int64))

    def outer(self, vec2):
        return self.reshape(-1, 1) * _t(vec2).reshape(1, -1)

    def tile(self, *dims):
        dims = _shape_arg(dims)
        return self._repeat("tile", (1,) * (self._data.ndim - len(dims)) + dims)

    def movedim(self, source, destination):
        nd = self._data.ndim
        src = [norm_dim(d, nd) for d in ((source,) if isinstance(source, numbers.Integral) else source)]
        dst = [norm_dim(d, nd) for d in ((destination,) if isinstance(destination, numbers.Integral)
                                         else destination)]
        order = [d for d in range(nd) if d not in src]
        for s_, d_ in sorted(zip(dst, src)):
            order.insert(s_, d_)
        return self.permute(*order)

    moveaxis = movedim

    # --- indexing -----------------------------------------------------------------------
    def __getitem__(self, idx):
        idx = _index_arg(idx)
        out = _ops_sh.GetItem.apply(self, idx)
        if out._ctx is not None and out._ctx.basic:
            # A view, as in PyTorch: an in-place op on it under autograd writes back
            # into this tensor (``m[i][j] += 1``; see _rebind). Without autograd the
            # array is a NumPy view already.
            out._view_of = (self, idx)
        return out

    def __setitem__(self, idx, value):
        idx = _index_arg(idx)
        if grad_mode._state.record and (self.requires_grad or
                                   (isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace()
            if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
                value = value.to(self._data.dtype)
            out = _ops_sh.IndexPut.apply(self._snapshot(), idx, value)
            self._rebind(out)
            return
        self._data[idx] = _raw(value)

    # --- in-place ----------------------------------------------------------------------
    def _check_inplace(self):
        if self.requires_grad and self._ctx is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")

    def _snapshot(self):
        """A Tensor standing for this tensor's value (and grad_fn) before an in-place op."""
        old = Tensor._wrap(self._data)
        old.requires_grad = self.requires_grad
        old._ctx = self._ctx
        old._out_index = self._out_index
        return old

    def _rebind(self, out):
        self._data = out._data
        self._ctx = out._ctx
        self._out_index = out._out_index
        self.requires_grad = out.requires_grad
        view = self.__dict__.get("_view_of")
        if view is not None:
            base, idx = view
            base[idx] = self  # the recorded write-back of a view's in-place op

    def _inplace(self, fn, other, ufunc, plain=None):
        if grad_mode._state.record and (self.requires_grad or
                                   (isinstance(other, Tensor) and other.requires_grad) or
                                   (plain is not None and _any_requires_grad(fn))):
            self._check_inplace()
            out = fn(self._snapshot(), other)
            if out._data.dtype != self._data.dtype:
                out = out.to(self._data.dtype)
            self._rebind(out)
            return self
        if plain is not None:
            self._data[...] = plain()._data
            return self
        ufunc(self._data, _raw(other), out=self._data)
        return self

    # ``t += x`` is in place, as in PyTorch: ``w -= lr * w.grad`` under no_grad keeps w
    # the same leaf Parameter (Python's fallback would bind w to a new, graph-less Tensor).
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, alpha=1):
        return self._inplace(Tensor.__add__, other * alpha if alpha != 1 else other, np.add)

    def sub_(self, other, alpha=1):
        return self._inplace(Tensor.__sub__, other * alpha if alpha != 1 else other, np.subtract)

    def mul_(self, other):
        return self._inplace(Tensor.__mul__, other, np.multiply)

    def div_(self, other):
        return self._inplace(Tensor.__truediv__, other, np.true_divide)

    def pow_(self, other):
        return self._inplace(Tensor.__pow__, other, np.power)

    def clamp_(self, min=None, max=None):
        if grad_mode._state.record and self.requires_grad:
            self._check_inplace()
            self._rebind(self._snapshot().clamp(min, max))
            return self
        np.clip(self._data, _raw(min), _raw(max), out=self._data)
        return self

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if grad_mode._state.record and (self.requires_grad or
                                   (isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace()
            self[...] = value
            return self
        self._data[...] = _raw(value)
        return self

    def copy_(self, src):
        if grad_mode._state.record and (self.requires_grad or
                                   (isinstance(src, Tensor) and src.requires_grad)):
            self._check_inplace()
            self[...] = src
            return self
        s = _raw(src)
        if not isinstance(s, np.ndarray) and hasattr(s, "get"):
            s = s.get()  # a CuPy array
        self._data[...] = s
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        g = generator or default_generator()
        with grad_mode.no_grad():
            return self.copy_(g.uniform(a, b, self._data.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        g = generator or default_generator()
        with grad_mode.no_grad():
            return self.copy_(g.normal(mean, std, self._data.shape))

    def new_zeros(self, *size, dtype=None):
        dtype = dtype or self._data.dtype
        return Tensor._wrap(np.zeros(_alloc_size("new_zeros", size, dtype), dtype=dtype))

    def new_ones(self, *size, dtype=None):
        dtype = dtype or self._data.dtype
        return Tensor._wrap(np.ones(_alloc_size("new_ones", size, dtype), dtype=dtype))

    def new_empty(self, *size, dtype=None):
        dtype = dtype or self._data.dtype
        return Tensor._wrap(np.empty(_alloc_size("new_empty", size, dtype), dtype=dtype))

    def new_full(self, size, fill_value, dtype=None):
        dtype = dtype or self._data.dtype
        shape = _alloc_size("new_full", (size,) if isinstance(size, numbers.Integral) else
                            (tuple(size),), dtype)
        return Tensor._wrap(np.full(shape, fill_value, dtype=dtype))

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self._data.dtype, device=device,
                      requires_grad=requires_grad)

    # --- diagonals (fastnn/_diag.py) and the sparse COO form (fastnn/sparse/) ------------
    def diag(self, diagonal=0):
        return _diag.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _diag.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _diag.diag_embed(self, offset, dim1, dim2)

    def trace(self):
        return _diag.trace(self)

    def to_sparse(self, sparse_dim=None, *, layout=None):
        from .sparse import to_sparse
        return to_sparse(self, sparse_dim, layout=layout)

    to_sparse_coo = to_sparse

    def to_dense(self, dtype=None, *, masked_grad=None):
        return self if dtype is None else self.to(dtype)




function._Tensor = Tensor


# --- in-place forms of the unary ops (t.exp_(), t.relu_(), ...) ---------------------------
def _unary_inplace(name):
    def method(self):
        if grad_mode._state.record and self.requires_grad:
            self._check_inplace()
            out = getattr(self._snapshot(), name)()
            self._rebind(out if out._data.dtype == self._data.dtype else out.to(self._data.dtype))
            return self
        self._data[...] = getattr(Tensor._wrap(self._data), name)()._data
        return self
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place {name}(): writes the result into this tensor."
    return method


for _name in ("abs", "neg", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "sigmoid",
              "tanh", "relu", "reciprocal", "square", "sign", "floor", "ceil", "trunc", "round"):
    if not hasattr(Tensor, _name + "_"):
        setattr(Tensor, _name + "_", _unary_inplace(_name))
del _name


def _new_legacy(self, *args, **kwargs):
    """t.new(*sizes) / t.new(data): the legacy constructor in t's dtype."""
    return Tensor._wrap(_legacy.legacy_array(args, self._data.dtype, "new")).to(
        kwargs.get("device") or self.device)


def _apply_(self, callable):
    """Replace each element x by callable(x) (CPU, slow; as torch's apply_)."""
    values = [callable(v) for v in self._data.reshape(-1).tolist()]
    self._data[...] = np.asarray(values, dtype=self._data.dtype).reshape(self._data.shape)
    return self


Tensor.new = _new_legacy
Tensor.apply_ = _apply_
# One process, no pinned or shared memory to arrange: the same tensor back.
Tensor.pin_memory = lambda self, device=None: self
Tensor.is_pinned = lambda self, device=None: False
Tensor.share_memory_ = lambda self: self
Tensor.is_shared = lambda self: False



_TYPE_NAMES = {np.dtype(np.float32): "fastnn.FloatTensor", np.dtype(np.float64): "fastnn.DoubleTensor",
               np.dtype(np.int64): "fastnn.LongTensor", np.dtype(np.int32): "fastnn.IntTensor",
               np.dtype(np.bool_): "fastnn.BoolTensor", np.dtype(np.float16): "fastnn.HalfTensor"}


class _ToDevice(function.Function):
    """Copy to another device; the gradient is copied back."""

    def forward(self, a, target):
        self.source = _dm.device_of(a)
        return _dm.move_array(a, target)

    def backward(self, g):
        return _dm.move_array(g, self.source), None


_Add = _ops_ar.Add.apply
_Sub = _ops_ar.Sub.apply
_Mul = _ops_ar.Mul.apply
_Div = _ops_ar.Div.apply
_Pow = _ops_ar.Pow.apply
_Neg = _ops_ar.Neg.apply
_Abs = _ops_ar.Abs.apply
_MatMul = _ops_ar.MatMul.apply
_Cast = _ops_ar.Cast.apply
_Sum = _ops_red.Sum.apply
_Mean = _ops_red.Mean.apply
_Reshape = _ops_sh.Reshape.apply


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _floatify(t):
    return t if t._data.dtype.kind in "fc" else t.to(_default_dtype)


def _promote(t, other, true_div=False):
    """PyTorch's type promotion for ``t (op) other``, as the two operands to pass on.

    NumPy would promote int64 with float32 to float64 and int / int to float64;
    PyTorch keeps the float operand's dtype and gives the default dtype.
    """
    tk = t._data.dtype.kind
    if isinstance(other, Tensor) or isinstance(other, np.ndarray):
        o = other._data if isinstance(other, Tensor) else other
        ok = o.dtype.kind
        if ok != tk:
            if tk == "f" and ok in "iub":
                other = other.astype(t._data.dtype) if isinstance(other, np.ndarray) else other.to(t._data.dtype)
            elif ok == "f" and tk in "iub":
                t = t.to(o.dtype)
        elif o.ndim == 0 and t._data.ndim and o.dtype != t._data.dtype:
            other = other.astype(t._data.dtype) if isinstance(other, np.ndarray) else other.to(t._data.dtype)
        elif t._data.ndim == 0 and o.ndim and o.dtype != t._data.dtype:
            t = t.to(o.dtype)
        if true_div and t._data.dtype.kind != "f" and _raw(other).dtype.kind != "f":
            t = t.to(_default_dtype)
            other = other.astype(_default_dtype) if isinstance(other, np.ndarray) \
                else other.to(_default_dtype)
        return t, other
    if isinstance(other, np.generic):
        other = other.item()
    elif isinstance(other, (list, tuple)):
        return _promote(t, np.asarray(other), true_div)
    if isinstance(other, float):
        if tk in "iub":
            t = t.to(_default_dtype)
    elif true_div and tk in "iub":
        t = t.to(_default_dtype)
    elif not isinstance(other, (numbers.Number)) and other is not None:
        raise TypeError(f"unsupported operand type for a Tensor op: {type(other).__name__}")
    return t, other


def _promote_dtypes(dtypes):
    """torch.promote_types over several dtypes: the highest category (bool < int <
    float) wins and only dtypes of that category widen it, so int64 with float32 is
    float32 (NumPy would give float64)."""
    for kinds in ("fc", "iu", "b"):
        top = [d for d in dtypes if d.kind in kinds]
        if top:
            return np.result_type(*top)
    return np.result_type(*dtypes)


def _result_dtype(a, b):
    return _promote(a, b)[0]._data.dtype


class _ReturnTypes(tuple):
    """(values, indices) with attribute access, like torch.return_types.max."""
    __slots__ = ()
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"fastnn.return_types.{self._name}(values={self[0]!r}, indices={self[1]!r})"


class _MaxResult(_ReturnTypes):
    __slots__ = ()
    _name = "max"


class _MinResult(_ReturnTypes):
    __slots__ = ()
    _name = "min"


class _SortResult(_ReturnTypes):
    __slots__ = ()
    _name = "sort"


class _TopkResult(_ReturnTypes):
    __slots__ = ()
    _name = "topk"


def _any_requires_grad(fn):
    """Whether a closure passed to ``_inplace`` captured a Tensor that requires grad."""
    cells = getattr(fn, "__closure__", None) or ()
    return _builtins.any(isinstance(c.cell_contents, Tensor) and c.cell_contents.requires_grad
                         for c in cells)


def _arg_extreme(t, dim, keepdim, fn):
    a = t._data
    if dim is None:
        out = np.asarray(fn(a))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
        return Tensor._wrap(out.astype(np.int64))
    axis = norm_dim(dim, a.ndim)
    if a.ndim == 0:
        return Tensor._wrap(np.zeros((), np.int64))
    return Tensor._wrap(np.asarray(fn(a, axis=axis, keepdims=keepdim)).astype(np.int64, copy=False))


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _index_one(i):
    if isinstance(i, Tensor):
        i = i._data
        if i.dtype.kind in "iu" and i.ndim == 0:
            return int(i)
        if i.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int or bool tensors")
        return i
    if isinstance(i, list):
        arr = np.asarray([_raw(v) for v in i])
        if arr.dtype.kind not in "iub":
            raise IndexError("lists used as indices must hold ints or bools")
        return arr
    return i


def _index_arg(idx):
    if isinstance(idx, tuple):
        return tuple(_index_one(i) for i in idx)
    return _index_one(idx)


# --- module-level functions (fastnn.cat, fastnn.sum, ...) ------------------------------
def _t(x):
    return x if isinstance(x, Tensor) else Tensor._wrap(_as_array(x))


def cat(tensors, dim=0):
    """Concatenate along an existing dim (PyTorch's promotion across dtypes)."""
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    dt = _promote_dtypes([t._data.dtype for t in tensors])
    tensors = [t.to(dt) for t in tensors]
    ref = tensors[0]._data.ndim
    axis = norm_dim(dim, ref)
    return _ops_sh.Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0):
    tensors = [_t(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    shapes = {t._data.shape for t in tensors}
    if len(shapes) != 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, got {sorted(shapes)}")
    dt = _promote_dtypes([t._data.dtype for t in tensors])
    tensors = [t.to(dt) for t in tensors]
    axis = norm_dim(dim, tensors[0]._data.ndim + 1)
    return _ops_sh.Stack.apply(*tensors, axis=axis)


def where(condition, input=None, other=None):
    cond = _raw(condition)
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    if a is None and b is None:
        return Tensor._wrap(_as_array(np.where(cond, input, other)))
    base = a if a is not None else b
    x, y = (input, other)
    if a is not None:
        x, y = _promote(a, other)
    else:
        y, x = _promote(b, input)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    return _ops_ar.Where.apply(cond, x, y) if base is not None else None


def einsum(equation, *operands):
    """Einstein summation over Tensors (``fastnn.einsum("bij,bjk->bik", a, b)``)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    ts = [_t(o) for o in operands]
    dt = _promote_dtypes([t._data.dtype for t in ts])
    ts = [t if t._data.dtype == dt else t.to(dt) for t in ts]
    return _ops_ix.Einsum.apply(*ts, equation=equation)


def maximum(input, other):
    return _t(input).maximum(other)


def minimum(input, other):
    return _t(input).minimum(other)


def gather(input, dim, index):
    idx = _raw(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int64 for index")
    if idx.ndim != input._data.ndim:
        raise RuntimeError("gather(): Index tensor must have the same number of dimensions as input")
    return _ops_sh.Gather.apply(input, idx, norm_dim(dim, input._data.ndim))


def matmul(input, other):
    return _t(input) @ other


def mm(input, mat2):
    return _t(input).mm(mat2)


def bmm(input, mat2):
    return _t(input).bmm(mat2)


def numel(input):
    return input.numel()


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    return _t(input).allclose(other, rtol, atol, equal_nan)


def equal(input, other):
    return _t(input).equal(other)


def _method(name):
    def fn(input, *args, **kwargs):
        return getattr(_t(input), name)(*args, **kwargs)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"fastnn.{name}(input, ...) is input.{name}(...)."
    return fn


_METHOD_FUNCS = (
    "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "all",
    "any", "norm", "exp", "log", "log1p", "sqrt", "rsqrt", "abs", "neg", "negative", "sin", "cos",
    "sigmoid", "tanh", "relu", "reciprocal", "square", "sign", "floor", "ceil", "trunc", "round",
    "clamp", "clip", "pow", "add", "sub", "mul", "div", "remainder", "reshape", "flatten",
    "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "t", "flip",
    "clone", "split", "chunk", "unbind", "masked_fill", "softmax", "log_softmax", "isnan",
    "isinf", "isfinite", "dot", "broadcast_to", "index_select", "masked_select", "narrow",
    "select", "scatter", "scatter_add", "index_fill", "cumsum", "cumprod", "roll", "tril", "triu",
    "sort", "argsort", "topk", "logsumexp", "nonzero", "outer", "tile", "movedim", "moveaxis",
)
for _name in _METHOD_FUNCS:
    globals()[_name] = _method(_name)
del _name


def _float_formatter(arr):
    """PyTorch's choice of float format: integral values print as ``1.``; others
    with 4 decimals, or in scientific notation when the magnitudes span more
    than 1000x or leave [1e-4, 1e8]. Every element is padded to one width."""
    finite = arr[np.isfinite(arr)]
    nonzero = np.abs(finite[finite != 0])
    p = _compat.print_options["precision"]  # fastnn.set_printoptions
    sci = _compat.print_options["sci_mode"]
    if finite.size and np.all(finite == np.round(finite)) and not sci:
        fmt = f"{{:.{p}e}}" if nonzero.size and nonzero.max() > 1e8 and sci is None else "{:.0f}."
    elif sci or sci is None and nonzero.size and (
            nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        fmt = f"{{:.{p}e}}"
    else:
        fmt = f"{{:.{p}f}}"

    def one(v):
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return fmt.format(v)
    width = _builtins.max((len(one(v)) for v in arr.reshape(-1)), default=0)
    return lambda v: one(v).rjust(width)


def _format_array(arr):
    po = _compat.print_options
    opts = dict(separator=", ", prefix="tensor(", threshold=po["threshold"],
                edgeitems=po["edgeitems"], max_line_width=po["linewidth"])
    if arr.dtype.kind == "f" and arr.size:
        return np.array2string(arr, formatter={"float_kind": _float_formatter(arr)}, **opts)
    return np.array2string(arr, **opts)


# --- creation -----------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad=False, device=None, pin_memory=False):
    """Constructs a tensor with no autograd history by copying ``data``.

    Args:
        data: initial data: a list, tuple, NumPy array, scalar or Tensor.
        dtype: the desired data type; by default inferred from ``data`` as
            PyTorch does (Python floats give ``float32``, ints ``int64``).
        requires_grad: if autograd should record operations on the result.
        device: the device of the result (``"cpu"`` unless a GPU backend is used).
        pin_memory: accepted for PyTorch compatibility; no effect on the CPU.

    Example::

        >>> fastnn.tensor([[0.1, 1.2], [2.2, 3.1]])
        tensor([[0.1000, 1.2000],
                [2.2000, 3.1000]])
        >>> fastnn.tensor([0, 1]).dtype == fastnn.int64
        True
    """
    t = Tensor._wrap(_as_array(data, dtype))
    if t._data is data or (isinstance(data, Tensor) and t._data is data._data):
        t._data = t._data.copy()  # _as_array hands an array (or a Tensor's) back as is
    if device is not None and str(device) != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(array):
    """A Tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def _size_args(size, what="size"):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (numbers.Integral,)) or s < 0:
            raise ValueError(f"{what}: expected non-negative ints, got {size}")
    return tuple(int(s) for s in size)


def _alloc_size(name, size, dtype, per_element=0):
    """``size`` (ints or one sequence) as a shape whose array of ``dtype`` fits in
    memory, plus ``per_element`` bytes of temporaries (fastnn/_sizes.py)."""
    shape = _size_args(size, f"{name}: size")
    _sizes.check_alloc(f"{name}: size={shape}", shape, np.dtype(dtype).itemsize, per_element)
    return shape


def _new(array, requires_grad):
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


@_factory.factory(sized=True)
def zeros(*size, dtype=None, requires_grad=False):
    dtype = dtype or _default_dtype
    return _new(np.zeros(_alloc_size("zeros", size, dtype), dtype=dtype), requires_grad)


@_factory.factory(sized=True)
def ones(*size, dtype=None, requires_grad=False):
    dtype = dtype or _default_dtype
    return _new(np.ones(_alloc_size("ones", size, dtype), dtype=dtype), requires_grad)


@_factory.factory(sized=True)
def empty(*size, dtype=None, requires_grad=False):
    dtype = dtype or _default_dtype
    return _new(np.empty(_alloc_size("empty", size, dtype), dtype=dtype), requires_grad)


@_factory.factory()
def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = (np.dtype(np.bool_) if isinstance(fill_value, bool) else
                 np.dtype(np.int64) if isinstance(fill_value, numbers.Integral) else _default_dtype)
    shape = _alloc_size("full", (size,) if isinstance(size, numbers.Integral) else (tuple(size),),
                        dtype)
    return _new(np.full(shape, fill_value, dtype=dtype), requires_grad)


@_factory.factory()
def eye(n, m=None, dtype=None, requires_grad=False):
    dtype = dtype or _default_dtype
    rows, cols = _sizes.check_shape("eye: n and m", (n, n if m is None else m))
    _sizes.check_alloc(f"eye: n={n}, m={m}", (rows, cols), np.dtype(dtype).itemsize)
    return _new(np.eye(rows, cols, dtype=dtype), requires_grad)


@_factory.factory(sized=True)
def randn(*size, dtype=None, requires_grad=False, generator=None):
    dtype = dtype or _default_dtype
    shape = _alloc_size("randn", size, dtype, per_element=8)  # drawn as float64, then cast
    g = generator or default_generator()
    return _new(g.standard_normal(shape).astype(dtype), requires_grad)


@_factory.factory(sized=True)
def rand(*size, dtype=None, requires_grad=False, generator=None):
    dtype = dtype or _default_dtype
    shape = _alloc_size("rand", size, dtype, per_element=8)
    g = generator or default_generator()
    return _new(g.random(shape).astype(dtype), requires_grad)


@_factory.factory()
def randint(low, high=None, size=None, dtype=None, generator=None):
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size), as torch
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required")
    dtype = dtype or np.int64
    shape = _alloc_size("randint", (tuple(size),), dtype, per_element=8)
    g = generator or default_generator()
    return Tensor._wrap(g.integers(low, high, size=shape).astype(dtype))


@_factory.factory()
def randperm(n, dtype=None, generator=None):
    dtype = dtype or np.int64
    (n,) = _sizes.check_shape("randperm: n", (n,))
    _sizes.check_alloc(f"randperm: n={n}", (n,), np.dtype(dtype).itemsize, per_element=8)
    g = generator or default_generator()
    return Tensor._wrap(g.permutation(n).astype(dtype))


def _arange_count(start, end, step):
    """The number of elements of arange(start, end, step), checked as PyTorch checks it."""
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"arange: {name} must be a real number, got {type(v).__name__}")
        if not isinstance(v, numbers.Integral) and not math.isfinite(v):
            raise ValueError(f"arange: {name} must be finite, got {v}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: the bounds {start} -> {end} are inconsistent with the sign "
                         f"of step={step}")
    if _builtins.all(isinstance(v, numbers.Integral) for v in (start, end, step)):
        return -(-(int(end) - int(start)) // int(step))
    return math.ceil((end - start) / step)


@_factory.factory()
def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        is_int = _builtins.all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if is_int else _default_dtype
    n = _arange_count(start, end, step)
    _sizes.check_alloc(f"arange: start={start}, end={end}, step={step}", (n,),
                       np.dtype(dtype).itemsize)
    return _new(np.arange(start, end, step, dtype=dtype), requires_grad)


@_factory.factory()
def linspace(start, end, steps, dtype=None, requires_grad=False):
    dtype = dtype or _default_dtype
    (steps,) = _sizes.check_shape("linspace: steps", (steps,))
    # NumPy computes in float64 before the cast
    _sizes.check_alloc(f"linspace: steps={steps}", (steps,), np.dtype(dtype).itemsize,
                       per_element=8)
    return _new(np.linspace(start, end, steps, dtype=dtype), requires_grad)


def _like(fn, t, dtype, requires_grad, **kw):
    return _new(fn(t._data.shape, dtype=dtype or t._data.dtype, **kw), requires_grad)


@_factory.factory(like=True)
def zeros_like(t, dtype=None, requires_grad=False):
    return _like(np.zeros, t, dtype, requires_grad)


@_factory.factory(like=True)
def ones_like(t, dtype=None, requires_grad=False):
    return _like(np.ones, t, dtype, requires_grad)


@_factory.factory(like=True)
def empty_like(t, dtype=None, requires_grad=False):
    return _like(np.empty, t, dtype, requires_grad)


@_factory.factory(like=True)
def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _like(np.full, t, dtype, requires_grad, fill_value=fill_value)


@_factory.factory(like=True)
def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


@_factory.factory(like=True)
def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


@_factory.factory(like=True)
def randint_like(t, low=0, high=None, dtype=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype or t.dtype)


@_factory.factory()
def logspace(start, end, steps, base=10.0, dtype=None):
    dtype = dtype or _default_dtype
    (steps,) = _sizes.check_shape("logspace: steps", (steps,))
    return Tensor._wrap(np.logspace(start, end, steps, base=base).astype(dtype))


def _float_arg(v, name):
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"normal: {name} must be a float or a Tensor, got {type(v).__name__}")
    return float(v)


@_factory.factory()
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None):
    """Samples of N(mean, std): elementwise over Tensor mean/std (broadcast), or ``size``
    samples of float mean and std (torch.normal's forms)."""
    m, s = _float_arg(mean, "mean"), _float_arg(std, "std")
    if size is not None:
        if isinstance(mean, Tensor) or isinstance(std, Tensor):
            raise TypeError("normal: size= goes with float mean and std")
        shape = _alloc_size("normal", (tuple(size),) if not isinstance(size, numbers.Integral)
                            else (size,), dtype or _default_dtype, per_element=8)
    elif isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        raise TypeError("normal: give Tensor mean or std, or float mean and std with size=")
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    floats = [v.dtype for v in (mean, std) if isinstance(v, Tensor)]
    dtype = dtype or (floats[0] if floats else _default_dtype)
    g = generator or default_generator()
    return Tensor._wrap((g.standard_normal(shape) * s + m).astype(dtype))


def as_tensor(data, dtype=None, device=None):
    """``data`` as a Tensor, sharing memory when it already is one (or an ndarray) of
    that dtype and device."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)) \
            and (device is None or data.device == _dm.as_device(device)):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == np.dtype(dtype)) \
            and (device is None or str(device) == "cpu"):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


no_grad = grad_mode.no_grad
enable_grad = grad_mode.enable_grad
set_grad_enabled = grad_mode.set_grad_enabled
is_grad_enabled = grad_mode.is_grad_enabled
inference_mode = grad_mode.inference_mode
is_inference_mode_enabled = grad_mode.is_inference_mode_enabled

__all__ = [
    "Tensor", "tensor", "from_numpy", "is_tensor", "zeros", "ones", "empty", "full", "eye",
    "randn", "rand", "randint", "randperm", "arange", "linspace", "zeros_like", "ones_like",
    "empty_like", "full_like", "randn_like", "rand_like", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled",
    "manual_seed", "set_default_dtype",
    "get_default_dtype", "cat", "concat", "concatenate", "stack", "where", "maximum", "minimum",
    "gather", "einsum", "matmul", "mm", "bmm", "numel", "allclose", "equal", "device",
    "randint_like", "logspace", "normal", "as_tensor",
] + list(_METHOD_FUNCS)
# Shared memory for multi-process (Hogwild) training: see _shared_memory.py.
from ._shared_memory import share_memory_ as _share_memory_, is_shared as _is_shared  # noqa: E402
Tensor.share_memory_ = _share_memory_
Tensor.is_shared = _is_shared
