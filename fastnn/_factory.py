"""The tensor factories: ``fastnn.tensor``, ``as_tensor``, ``from_numpy``, ``zeros``, ``ones``,
``empty``, ``full``, ``eye``, ``arange``, ``linspace``, ``logspace``, the ``*_like`` forms,
and the random ones (``rand``, ``randn``, ``randint``, ``randperm``, ``normal``).

Dtypes follow PyTorch: float data and float factories give the default dtype
(float32), Python ints give int64. Every size is checked before allocating
(fastnn/_sizes.py), so a huge or negative size raises instead of exhausting memory.
``@factory`` (fastnn/_factory_kwargs.py) adds PyTorch's ``out=``, ``device=``,
``requires_grad=``, ``layout=`` keywords; a function declares them but never sees them.
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import numpy as np

from . import _device_move as _dm
from . import _promotion
from . import _sizes
from ._factory_kwargs import factory
from ._promotion import _as_array
from ._tensor import Tensor
from ._tensor_methods.creation import _alloc_size, _one_size_arg
from .random import default_generator

if TYPE_CHECKING:
    from ._types import DeviceLike, DTypeLike, Number
    from .random import Generator

__all__: list[str] = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye", "arange",
           "linspace", "logspace", "zeros_like", "ones_like", "empty_like", "full_like", "rand",
           "randn", "randint", "randperm", "normal", "rand_like", "randn_like", "randint_like"]

_SizeArg = Union[int, Sequence[int]]  # one size: an int, or a shape


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False,
           device: DeviceLike = None, pin_memory: bool = False) -> Tensor:
    """Constructs a tensor with no autograd history by copying ``data``.

    Args:
        data: initial data: a list, tuple, NumPy array, scalar or Tensor.
        dtype (fastnn.dtype, optional): the desired data type; by default inferred
            from ``data`` as PyTorch does (Python floats give ``float32``, ints ``int64``).
        requires_grad (bool): if autograd should record operations on the result. Default: False.
        device (str or fastnn.device, optional): the device of the result. Default: the CPU.
        pin_memory (bool): accepted for PyTorch compatibility; no effect on the CPU.

    Example::

        >>> fastnn.tensor([[0.1, 1.2], [2.2, 3.1]])
        tensor([[0.1000, 1.2000],
                [2.2000, 3.1000]])
        >>> fastnn.tensor([0, 1]).dtype == fastnn.int64
        True
        >>> fastnn.tensor(3.5, dtype=fastnn.float64)
        tensor(3.5000, dtype=fastnn.float64)
    """
    t = Tensor._wrap(_as_array(data, dtype))
    if t._data is data or (isinstance(data, Tensor) and t._data is data._data):
        t._data = t._data.copy()  # _as_array hands an array (or a Tensor's) back as is
    if device is not None and str(device) != "cpu":
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """``data`` as a Tensor, sharing memory when it already is one (or an ndarray) of
    that dtype and device; otherwise a copy, as :func:`tensor`.

    Args:
        data: a Tensor, NumPy array, list, tuple or scalar.
        dtype (fastnn.dtype, optional): the dtype wanted. Default: that of ``data``.
        device (str or fastnn.device, optional): the device wanted. Default: that of ``data``.

    Example::

        >>> a = np.array([1.0, 2.0])
        >>> t = fastnn.as_tensor(a)
        >>> a[0] = 5.0
        >>> t
        tensor([5., 2.], dtype=fastnn.float64)
    """
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)) \
            and (device is None or data.device == _dm.as_device(device)):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == np.dtype(dtype)) \
            and (device is None or str(device) == "cpu"):
        return Tensor._wrap(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing memory with the NumPy array ``array`` (its dtype kept).

    Args:
        array (numpy.ndarray): the array; writes through either are seen by both.

    Example::

        >>> a = np.arange(3)
        >>> t = fastnn.from_numpy(a)
        >>> t[0] = 7
        >>> a
        array([7, 1, 2])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


# --- filled with one value ---------------------------------------------------------
@factory(sized=True)
def zeros(*size: _SizeArg, dtype: DTypeLike = None, out: Optional[Tensor] = None, layout: Any = None,
          device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape ``size``.

    Args:
        *size (ints or a tuple of ints): the shape, e.g. ``zeros(2, 3)`` or ``zeros((2, 3))``.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).
        out (Tensor, optional): the tensor to write into.
        device (str or fastnn.device, optional): Default: the CPU.
        requires_grad (bool): record operations on the result. Default: False.

    Example::

        >>> fastnn.zeros(2, 3)
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
        >>> fastnn.zeros((2,), dtype=fastnn.int64)
        tensor([0, 0])
    """
    dt = dtype or _promotion._default_dtype
    return Tensor._wrap(np.zeros(_alloc_size("zeros", size, dt), dtype=dt))


@factory(sized=True)
def ones(*size: _SizeArg, dtype: DTypeLike = None, out: Optional[Tensor] = None, layout: Any = None,
         device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape ``size``.

    Args:
        *size (ints or a tuple of ints): the shape.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).
        out, device, requires_grad: as for :func:`zeros`.

    Example::

        >>> fastnn.ones(2, 2)
        tensor([[1., 1.],
                [1., 1.]])
    """
    dt = dtype or _promotion._default_dtype
    return Tensor._wrap(np.ones(_alloc_size("ones", size, dt), dtype=dt))


@factory(sized=True)
def empty(*size: _SizeArg, dtype: DTypeLike = None, out: Optional[Tensor] = None, layout: Any = None,
          device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` whose values are not set (whatever the memory held).

    Args:
        *size (ints or a tuple of ints): the shape.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).
        out, device, requires_grad: as for :func:`zeros`.

    Example::

        >>> fastnn.empty(2, 3).shape
        (2, 3)
    """
    dt = dtype or _promotion._default_dtype
    return Tensor._wrap(np.empty(_alloc_size("empty", size, dt), dtype=dt))


@factory()
def full(size: _SizeArg, fill_value: Number, dtype: DTypeLike = None, *,
         out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``.

    Args:
        size (int or sequence of ints): the shape.
        fill_value (Number): the value; its type gives the dtype when ``dtype`` is None
            (bool, int64, or the default float dtype), as in PyTorch.
        dtype (fastnn.dtype, optional): the dtype of the result.
        out, device, requires_grad: as for :func:`zeros`.

    Example::

        >>> fastnn.full((2, 2), 7)
        tensor([[7, 7],
                [7, 7]])
        >>> fastnn.full((3,), 0.5)
        tensor([0.5000, 0.5000, 0.5000])
    """
    if dtype is None:
        dtype = (np.dtype(np.bool_) if isinstance(fill_value, bool) else
                 np.dtype(np.int64) if isinstance(fill_value, numbers.Integral) else
                 _promotion._default_dtype)
    shape = _alloc_size("full", _one_size_arg(size), dtype)
    return Tensor._wrap(np.full(shape, fill_value, dtype=dtype))


@factory()
def eye(n: int, m: Optional[int] = None, dtype: DTypeLike = None, *,
        out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
        requires_grad: bool = False) -> Tensor:
    """An ``n`` x ``m`` matrix with ones on the diagonal and zeros elsewhere.

    Args:
        n (int): the number of rows.
        m (int, optional): the number of columns. Default: ``n``.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).

    Example::

        >>> fastnn.eye(2, 3)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    dt = dtype or _promotion._default_dtype
    rows, cols = _sizes.check_shape("eye: n and m", (n, n if m is None else m))
    _sizes.check_alloc(f"eye: n={n}, m={m}", (rows, cols), np.dtype(dt).itemsize)
    return Tensor._wrap(np.eye(rows, cols, dtype=dt))


# --- ranges --------------------------------------------------------------------------
def _arange_count(start: Any, end: Any, step: Any) -> int:
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
    if all(isinstance(v, numbers.Integral) for v in (start, end, step)):
        return -(-(int(end) - int(start)) // int(step))
    return math.ceil((end - start) / step)


@factory()
def arange(start: Number, end: Optional[Number] = None, step: Number = 1, dtype: DTypeLike = None,
           *, out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """The values ``start, start + step, ...`` up to (not including) ``end``.

    ``arange(end)`` starts at 0. Ints give int64, any float the default dtype.

    Args:
        start (Number): the first value (or ``end`` when it is the only argument).
        end (Number, optional): the bound, excluded.
        step (Number): the gap between values. Default: 1.
        dtype (fastnn.dtype, optional): the dtype of the result.

    Example::

        >>> fastnn.arange(5)
        tensor([0, 1, 2, 3, 4])
        >>> fastnn.arange(1, 2.5, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = np.int64 if is_int else _promotion._default_dtype
    n = _arange_count(start, end, step)
    _sizes.check_alloc(f"arange: start={start}, end={end}, step={step}", (n,),
                       np.dtype(dtype).itemsize)
    return Tensor._wrap(np.arange(start, end, step, dtype=dtype))


@factory()
def linspace(start: Number, end: Number, steps: int, dtype: DTypeLike = None, *,
             out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end``, both included.

    Args:
        start (Number): the first value.
        end (Number): the last value.
        steps (int): how many values.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).

    Example::

        >>> fastnn.linspace(0, 1, steps=5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    dt = dtype or _promotion._default_dtype
    (steps,) = _sizes.check_shape("linspace: steps", (steps,))
    # NumPy computes in float64 before the cast
    _sizes.check_alloc(f"linspace: steps={steps}", (steps,), np.dtype(dt).itemsize,
                       per_element=8)
    return Tensor._wrap(np.linspace(start, end, steps, dtype=dt))


@factory()
def logspace(start: Number, end: Number, steps: int, base: float = 10.0, dtype: DTypeLike = None,
             *, out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` values ``base ** v`` for ``v`` evenly spaced from ``start`` to ``end``.

    Example::

        >>> fastnn.logspace(0, 2, steps=3)
        tensor([  1.,  10., 100.])
    """
    dt = dtype or _promotion._default_dtype
    (steps,) = _sizes.check_shape("logspace: steps", (steps,))
    return Tensor._wrap(np.logspace(start, end, steps, base=base).astype(dt))


# --- shaped like another tensor --------------------------------------------------------
def _like(fn: Any, t: Tensor, dtype: DTypeLike, **kw: Any) -> Tensor:
    return Tensor._wrap(fn(t._data.shape, dtype=dtype or t._data.dtype, **kw))


@factory(like=True)
def zeros_like(input: Tensor, dtype: DTypeLike = None, *, layout: Any = None,
               device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``input``'s shape, dtype and device (unless given).

    Args:
        input (Tensor): the tensor whose shape (and dtype, device) to use.
        dtype (fastnn.dtype, optional): Default: ``input.dtype``.

    Example::

        >>> fastnn.zeros_like(fastnn.tensor([[1, 2, 3]]))
        tensor([[0, 0, 0]])
    """
    return _like(np.zeros, input, dtype)


@factory(like=True)
def ones_like(input: Tensor, dtype: DTypeLike = None, *, layout: Any = None,
              device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``input``'s shape, dtype and device (unless given).

    Example::

        >>> fastnn.ones_like(fastnn.zeros(2, 2))
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _like(np.ones, input, dtype)


@factory(like=True)
def empty_like(input: Tensor, dtype: DTypeLike = None, *, layout: Any = None,
               device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """An unset tensor of ``input``'s shape, dtype and device (unless given)."""
    return _like(np.empty, input, dtype)


@factory(like=True)
def full_like(input: Tensor, fill_value: Number, dtype: DTypeLike = None, *, layout: Any = None,
              device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, in ``input``'s shape, dtype and device (unless given).

    Example::

        >>> fastnn.full_like(fastnn.zeros(3), 2.0)
        tensor([2., 2., 2.])
    """
    return _like(np.full, input, dtype, fill_value=fill_value)


# --- random (drawn from fastnn.manual_seed's generator unless one is given) --------------
@factory(sized=True)
def randn(*size: _SizeArg, generator: Optional[Generator] = None, dtype: DTypeLike = None,
          out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
          requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution N(0, 1), of shape ``size``.

    Args:
        *size (ints or a tuple of ints): the shape.
        generator (fastnn.Generator, optional): Default: the global generator.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).

    Example::

        >>> x = fastnn.randn(2, 3)
        >>> x.shape, x.dtype
        ((2, 3), dtype('float32'))
    """
    dt = dtype or _promotion._default_dtype
    shape = _alloc_size("randn", size, dt, per_element=8)  # drawn as float64, then cast
    g = generator or default_generator()
    return Tensor._wrap(g.standard_normal(shape).astype(dt))


@factory(sized=True)
def rand(*size: _SizeArg, generator: Optional[Generator] = None, dtype: DTypeLike = None,
         out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1), of shape ``size``.

    Args:
        *size (ints or a tuple of ints): the shape.
        generator (fastnn.Generator, optional): Default: the global generator.
        dtype (fastnn.dtype, optional): Default: the default dtype (float32).

    Example::

        >>> x = fastnn.rand(1000)
        >>> bool((x >= 0).all() and (x < 1).all())
        True
    """
    dt = dtype or _promotion._default_dtype
    shape = _alloc_size("rand", size, dt, per_element=8)
    g = generator or default_generator()
    return Tensor._wrap(g.random(shape).astype(dt))


@factory()
def randint(low: int, high: Union[int, Sequence[int], None] = None,
            size: Union[int, Sequence[int], None] = None, dtype: DTypeLike = None,
            generator: Optional[Generator] = None, *, out: Optional[Tensor] = None,
            layout: Any = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Random integers from ``[low, high)``, of shape ``size``; ``randint(high, size)`` starts at 0.

    Args:
        low (int): the lowest value (or ``high`` in the two-argument form).
        high (int): one above the highest value.
        size (tuple of ints): the shape.
        dtype (fastnn.dtype, optional): Default: int64.
        generator (fastnn.Generator, optional): Default: the global generator.

    Example::

        >>> x = fastnn.randint(0, 10, (2, 5))
        >>> x.shape, x.dtype
        ((2, 5), dtype('int64'))
        >>> bool(((x >= 0) & (x < 10)).all())
        True
    """
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size), as torch
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required")
    dt = dtype or np.int64
    shape = _alloc_size("randint", _one_size_arg(size), dt, per_element=8)
    g = generator or default_generator()
    return Tensor._wrap(g.integers(low, high, size=shape).astype(dt))


@factory()
def randperm(n: int, dtype: DTypeLike = None, generator: Optional[Generator] = None, *,
             out: Optional[Tensor] = None, layout: Any = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 by default).

    Example::

        >>> sorted(fastnn.randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    dt = dtype or np.int64
    (n,) = _sizes.check_shape("randperm: n", (n,))
    _sizes.check_alloc(f"randperm: n={n}", (n,), np.dtype(dt).itemsize, per_element=8)
    g = generator or default_generator()
    return Tensor._wrap(g.permutation(n).astype(dt))


def _float_arg(v: Any, name: str) -> Any:
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"normal: {name} must be a float or a Tensor, got {type(v).__name__}")
    return float(v)


@factory()
def normal(mean: Union[float, Tensor] = 0.0, std: Union[float, Tensor] = 1.0,
           size: Optional[_SizeArg] = None, *, generator: Optional[Generator] = None,
           dtype: DTypeLike = None, out: Optional[Tensor] = None, layout: Any = None,
           device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std): elementwise over Tensor mean/std (broadcast), or ``size``
    samples of float mean and std (torch.normal's forms).

    Example::

        >>> fastnn.normal(2.0, 0.5, size=(3,)).shape
        (3,)
        >>> fastnn.normal(fastnn.zeros(2, 2), 1.0).shape
        (2, 2)
    """
    m, s = _float_arg(mean, "mean"), _float_arg(std, "std")
    if size is not None:
        if isinstance(mean, Tensor) or isinstance(std, Tensor):
            raise TypeError("normal: size= goes with float mean and std")
        shape = _alloc_size("normal", _one_size_arg(size), dtype or _promotion._default_dtype,
                            per_element=8)
    elif isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    else:
        raise TypeError("normal: give Tensor mean or std, or float mean and std with size=")
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    floats = [v.dtype for v in (mean, std) if isinstance(v, Tensor)]
    dt = dtype or (floats[0] if floats else _promotion._default_dtype)
    g = generator or default_generator()
    return Tensor._wrap((g.standard_normal(shape) * s + m).astype(dt))


@factory(like=True)
def randn_like(input: Tensor, dtype: DTypeLike = None, *, layout: Any = None,
               device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples in ``input``'s shape, dtype and device (unless given)."""
    return randn(*input.shape, dtype=dtype or input.dtype)


@factory(like=True)
def rand_like(input: Tensor, dtype: DTypeLike = None, *, layout: Any = None,
              device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples in ``input``'s shape, dtype and device (unless given)."""
    return rand(*input.shape, dtype=dtype or input.dtype)


@factory(like=True)
def randint_like(input: Tensor, low: int = 0, high: Optional[int] = None, dtype: DTypeLike = None,
                 *, layout: Any = None, device: DeviceLike = None,
                 requires_grad: bool = False) -> Tensor:
    """Random integers from ``[low, high)`` in ``input``'s shape (``randint_like(t, high)`` too)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)
