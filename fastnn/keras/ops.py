"""keras.ops: the NumPy-like functions custom Keras layers are written with, on fastnn
Tensors (differentiable wherever the fastnn op is). Axis arguments follow NumPy
(``axis=``, ``keepdims=``); inputs may be Tensors, arrays or numbers."""
from __future__ import annotations

import numpy as np

from ..nn import functional as F

__all__ = ["convert_to_tensor", "convert_to_numpy", "cast", "matmul", "dot", "add", "subtract",
           "multiply", "divide", "negative", "exp", "log", "sqrt", "square", "abs", "maximum",
           "minimum", "clip", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "sum", "mean",
           "max", "min", "argmax", "reshape", "transpose", "expand_dims", "squeeze",
           "concatenate", "stack", "where", "zeros", "ones", "zeros_like", "ones_like", "shape"]


def convert_to_tensor(x, dtype=None):
    import fastnn
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(getattr(fastnn, str(np.dtype(dtype))))
    arr = np.asarray(x, dtype=dtype)
    if arr.dtype == np.float64 and dtype is None:
        arr = arr.astype(np.float32)  # Keras's default float type
    return Tensor._wrap(arr)


def convert_to_numpy(x):
    from .._tensor import Tensor
    return np.asarray(x.detach()._data) if isinstance(x, Tensor) else np.asarray(x)


def _t(x):
    return convert_to_tensor(x)


def cast(x, dtype):
    import fastnn
    return _t(x).to(getattr(fastnn, str(np.dtype(dtype))))


def matmul(a, b):
    return _t(a) @ _t(b)


dot = matmul


def add(a, b):
    return _t(a) + b


def subtract(a, b):
    return _t(a) - b


def multiply(a, b):
    return _t(a) * b


def divide(a, b):
    return _t(a) / b


def negative(x):
    return -_t(x)


def exp(x):
    return _t(x).exp()


def log(x):
    return _t(x).log()


def sqrt(x):
    return _t(x).sqrt()


def square(x):
    return _t(x) * _t(x)


def abs(x):  # noqa: A001 - the Keras name
    return _t(x).abs()


def maximum(a, b):
    import fastnn
    return fastnn.maximum(_t(a), _t(b))


def minimum(a, b):
    import fastnn
    return fastnn.minimum(_t(a), _t(b))


def clip(x, x_min, x_max):
    return _t(x).clamp(x_min, x_max)


def relu(x):
    return F.relu(_t(x))


def sigmoid(x):
    return F.sigmoid(_t(x))


def tanh(x):
    return F.tanh(_t(x))


def softmax(x, axis=-1):
    return F.softmax(_t(x), dim=axis)


def log_softmax(x, axis=-1):
    return F.log_softmax(_t(x), dim=axis)


def _reduce(name, x, axis, keepdims):
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


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("sum", x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _reduce("mean", x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("max", x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("min", x, axis, keepdims)


def argmax(x, axis=-1, keepdims=False):
    return _t(x).argmax(dim=axis, keepdim=keepdims)


def reshape(x, newshape):
    return _t(x).reshape(tuple(newshape) if not isinstance(newshape, int) else (newshape,))


def transpose(x, axes=None):
    x = _t(x)
    return x.permute(*(axes if axes is not None else reversed(range(x.ndim))))


def expand_dims(x, axis):
    return _t(x).unsqueeze(axis)


def squeeze(x, axis=None):
    return _t(x).squeeze(axis)


def concatenate(xs, axis=0):
    import fastnn
    return fastnn.cat([_t(x) for x in xs], dim=axis)


def stack(xs, axis=0):
    import fastnn
    return fastnn.stack([_t(x) for x in xs], dim=axis)


def where(condition, x1, x2):
    import fastnn
    return fastnn.where(_t(condition), _t(x1), _t(x2))


def zeros(shape, dtype="float32"):
    return convert_to_tensor(np.zeros(shape, dtype=dtype))


def ones(shape, dtype="float32"):
    return convert_to_tensor(np.ones(shape, dtype=dtype))


def zeros_like(x, dtype=None):
    return convert_to_tensor(np.zeros(tuple(_t(x).shape), dtype=dtype or _t(x)._data.dtype))


def ones_like(x, dtype=None):
    return convert_to_tensor(np.ones(tuple(_t(x).shape), dtype=dtype or _t(x)._data.dtype))


def shape(x):
    return tuple(_t(x).shape)


# Position indices and sinusoidal encodings, as custom embedding layers build them.
def arange(start, stop=None, step=1, dtype=None):
    """Keras's arange: int32 when start/stop/step are all ints (no dtype given), else float32."""
    from .._tensor import Tensor
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = "int32" if ints else "float32"
    return Tensor._wrap(np.arange(start, stop, step, dtype=np.dtype(dtype)))


def sin(x):
    return _t(x).sin()


def cos(x):
    return _t(x).cos()


__all__ += ["arange", "sin", "cos"]
