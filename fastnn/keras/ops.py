"""keras.ops: the NumPy-like functions custom Keras layers are written with, on fastnn
Tensors (differentiable wherever the fastnn op is). Axis arguments follow NumPy
(``axis=``, ``keepdims=``); inputs may be Tensors, arrays or numbers."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ..nn import functional as F

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from .._tensor import Tensor

#: what the ops accept: a Tensor, a NumPy array, a (nested) list or a number
TensorLike = Union["Tensor", np.ndarray, Sequence[Any], float, int]

__all__ = ["convert_to_tensor", "convert_to_numpy", "cast", "matmul", "dot", "add", "subtract",
           "multiply", "divide", "negative", "exp", "log", "sqrt", "square", "abs", "maximum",
           "minimum", "clip", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "sum", "mean",
           "max", "min", "argmax", "reshape", "transpose", "expand_dims", "squeeze",
           "concatenate", "stack", "where", "zeros", "ones", "zeros_like", "ones_like", "shape"]


def convert_to_tensor(x: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """A Tensor of ``x`` (a Tensor passes through, cast when ``dtype`` is given); float64
    data becomes float32, Keras's default float type, unless ``dtype`` says otherwise.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.convert_to_tensor([1.0, 2.0])
        tensor([1., 2.])
        >>> ops.convert_to_tensor([1, 2], dtype="float64")
        tensor([1., 2.], dtype=fastnn.float64)
    """
    import fastnn
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(getattr(fastnn, str(np.dtype(dtype))))
    arr = np.asarray(x, dtype=dtype)
    if arr.dtype == np.float64 and dtype is None:
        arr = arr.astype(np.float32)  # Keras's default float type
    return Tensor._wrap(arr)


def convert_to_numpy(x: TensorLike) -> np.ndarray:
    """``x`` as a NumPy array (a Tensor detached from autograd)."""
    from .._tensor import Tensor
    return np.asarray(x.detach()._data) if isinstance(x, Tensor) else np.asarray(x)


def _t(x: TensorLike) -> Tensor:
    return convert_to_tensor(x)


def cast(x: TensorLike, dtype: DTypeLike) -> Tensor:
    """``x`` converted to ``dtype`` (a NumPy dtype or its name)."""
    import fastnn
    return _t(x).to(getattr(fastnn, str(np.dtype(dtype))))


def matmul(a: TensorLike, b: TensorLike) -> Tensor:
    """The matrix product ``a @ b`` (batched over leading axes); ``dot`` is the same.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.matmul([[1.0, 2.0]], [[3.0], [4.0]])
        tensor([[11.]])
    """
    return _t(a) @ _t(b)


dot = matmul


def add(a: TensorLike, b: TensorLike) -> Tensor:
    """``a + b``, broadcast."""
    return _t(a) + b


def subtract(a: TensorLike, b: TensorLike) -> Tensor:
    """``a - b``, broadcast."""
    return _t(a) - b


def multiply(a: TensorLike, b: TensorLike) -> Tensor:
    """``a * b``, broadcast."""
    return _t(a) * b


def divide(a: TensorLike, b: TensorLike) -> Tensor:
    """``a / b``, broadcast."""
    return _t(a) / b


def negative(x: TensorLike) -> Tensor:
    """``-x``."""
    return -_t(x)


def exp(x: TensorLike) -> Tensor:
    """``e ** x`` elementwise."""
    return _t(x).exp()


def log(x: TensorLike) -> Tensor:
    """The natural logarithm elementwise."""
    return _t(x).log()


def sqrt(x: TensorLike) -> Tensor:
    """The square root elementwise."""
    return _t(x).sqrt()


def square(x: TensorLike) -> Tensor:
    """``x * x`` elementwise."""
    return _t(x) * _t(x)


def abs(x: TensorLike) -> Tensor:  # noqa: A001 - the Keras name
    """``|x|`` elementwise."""
    return _t(x).abs()


def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    """The larger of ``a`` and ``b`` elementwise."""
    import fastnn
    return fastnn.maximum(_t(a), _t(b))


def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    """The smaller of ``a`` and ``b`` elementwise."""
    import fastnn
    return fastnn.minimum(_t(a), _t(b))


def clip(x: TensorLike, x_min: float, x_max: float) -> Tensor:
    """``x`` limited to ``[x_min, x_max]``.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.clip([-2.0, 0.5, 3.0], 0.0, 1.0)
        tensor([0.0000, 0.5000, 1.0000])
    """
    return _t(x).clamp(x_min, x_max)


def relu(x: TensorLike) -> Tensor:
    """``max(x, 0)`` elementwise."""
    return F.relu(_t(x))


def sigmoid(x: TensorLike) -> Tensor:
    """``1 / (1 + exp(-x))`` elementwise."""
    return F.sigmoid(_t(x))


def tanh(x: TensorLike) -> Tensor:
    """The hyperbolic tangent elementwise."""
    return F.tanh(_t(x))


def softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.softmax([[0.0, 0.0]])
        tensor([[0.5000, 0.5000]])
    """
    return F.softmax(_t(x), dim=axis)


def log_softmax(x: TensorLike, axis: int = -1) -> Tensor:
    """The logarithm of ``softmax(x, axis)``, computed stably."""
    return F.log_softmax(_t(x), dim=axis)


def _reduce(name: str, x: Any, axis: int | Sequence[int] | None, keepdims: bool) -> Tensor:
    x = _t(x)
    if axis is None:
        out = getattr(x, name)()
        return out.reshape((1,) * x.ndim) if keepdims else out
    dims = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    if name in ("max", "min"):  # one axis at a time, as torch's max/min reduce one dim
        for d in sorted((d % x.ndim for d in dims), reverse=True):
            x = getattr(x, name)(dim=d, keepdim=keepdims)[0]
        return x
    return getattr(x, name)(dim=dims, keepdim=keepdims)


def sum(x: TensorLike, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The sum over ``axis`` (an int, a tuple, or None for all), keeping the reduced
    axes with size 1 when ``keepdims``.

    Example::

        >>> from fastnn.keras import ops
        >>> x = [[1.0, 2.0], [3.0, 4.0]]
        >>> ops.sum(x), ops.sum(x, axis=0), ops.sum(x, axis=1, keepdims=True).shape
        (tensor(10.), tensor([4., 6.]), (2, 1))
    """
    return _reduce("sum", x, axis, keepdims)


def mean(x: TensorLike, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """The mean over ``axis`` (as :func:`sum`)."""
    return _reduce("mean", x, axis, keepdims)


def max(x: TensorLike, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The maximum over ``axis`` (as :func:`sum`)."""
    return _reduce("max", x, axis, keepdims)


def min(x: TensorLike, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The minimum over ``axis`` (as :func:`sum`)."""
    return _reduce("min", x, axis, keepdims)


def argmax(x: TensorLike, axis: int = -1, keepdims: bool = False) -> Tensor:
    """The index of the largest value along ``axis``.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.argmax([[0.1, 0.9], [0.8, 0.2]])
        tensor([1, 0])
    """
    return _t(x).argmax(dim=axis, keepdim=keepdims)


def reshape(x: TensorLike, newshape: int | Sequence[int]) -> Tensor:
    """``x`` with shape ``newshape`` (one entry may be -1)."""
    return _t(x).reshape(tuple(newshape) if not isinstance(newshape, int) else (newshape,))


def transpose(x: TensorLike, axes: Sequence[int] | None = None) -> Tensor:
    """``x`` with its axes permuted to ``axes`` (reversed when None)."""
    x = _t(x)
    return x.permute(*(axes if axes is not None else reversed(range(x.ndim))))


def expand_dims(x: TensorLike, axis: int) -> Tensor:
    """``x`` with a new axis of size 1 at ``axis``."""
    return _t(x).unsqueeze(axis)


def squeeze(x: TensorLike, axis: int | None = None) -> Tensor:
    """``x`` without its axes of size 1 (only ``axis`` when given)."""
    return _t(x).squeeze(axis)


def concatenate(xs: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """The tensors joined along an existing ``axis``."""
    import fastnn
    return fastnn.cat([_t(x) for x in xs], dim=axis)


def stack(xs: Sequence[TensorLike], axis: int = 0) -> Tensor:
    """The tensors joined along a new ``axis``.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.stack([[1.0, 2.0], [3.0, 4.0]], axis=1).shape
        (2, 2)
    """
    import fastnn
    return fastnn.stack([_t(x) for x in xs], dim=axis)


def where(condition: TensorLike, x1: TensorLike, x2: TensorLike) -> Tensor:
    """``x1`` where ``condition`` is true, else ``x2``, elementwise."""
    import fastnn
    return fastnn.where(_t(condition), _t(x1), _t(x2))


def zeros(shape: int | Sequence[int], dtype: DTypeLike = "float32") -> Tensor:
    """A tensor of zeros."""
    return convert_to_tensor(np.zeros(shape, dtype=dtype))


def ones(shape: int | Sequence[int], dtype: DTypeLike = "float32") -> Tensor:
    """A tensor of ones."""
    return convert_to_tensor(np.ones(shape, dtype=dtype))


def zeros_like(x: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """Zeros of ``x``'s shape (and dtype unless given)."""
    return convert_to_tensor(np.zeros(tuple(_t(x).shape), dtype=dtype or _t(x)._data.dtype))


def ones_like(x: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """Ones of ``x``'s shape (and dtype unless given)."""
    return convert_to_tensor(np.ones(tuple(_t(x).shape), dtype=dtype or _t(x)._data.dtype))


def shape(x: TensorLike) -> tuple[int, ...]:
    """``x``'s shape as a tuple."""
    return tuple(_t(x).shape)


# Position indices and sinusoidal encodings, as custom embedding layers build them.
def arange(start: float, stop: float | None = None, step: float = 1, dtype: DTypeLike | None = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (``[0, start)`` with one argument), as
    Keras: int32 when start, stop and step are all ints (no dtype given), else float32.

    Example::

        >>> from fastnn.keras import ops
        >>> ops.arange(4), ops.arange(0.0, 1.0, 0.5)
        (tensor([0, 1, 2, 3], dtype=fastnn.int32), tensor([0.0000, 0.5000]))
    """
    from .._tensor import Tensor
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = "int32" if ints else "float32"
    return Tensor._wrap(np.arange(start, stop, step, dtype=np.dtype(dtype)))


def sin(x: TensorLike) -> Tensor:
    """The sine elementwise."""
    return _t(x).sin()


def cos(x: TensorLike) -> Tensor:
    """The cosine elementwise."""
    return _t(x).cos()


__all__ += ["arange", "sin", "cos"]
