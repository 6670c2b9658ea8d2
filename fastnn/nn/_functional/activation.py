"""Activation functionals (F.relu ... F.softmax): element-wise and softmax-family ops with
PyTorch's names, defaults and ``inplace`` semantics; each is one autograd Function of
fastnn/ops (or a short composition), so the backend kernel does the work."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ...autograd import grad_mode
from ...ops import arithmetic as _ar
from ...ops import nn as _nn
from ...ops._util import norm_dim
from ..._tensor import Tensor

__all__ = ["relu", "relu_", "relu6", "hardtanh", "leaky_relu", "elu", "selu", "softplus",
           "logsigmoid", "silu", "mish", "gelu", "sigmoid", "tanh", "softmax", "softmin",
           "log_softmax"]

_Relu = _ar.Relu.apply


def _tracking(*ts: Any) -> bool:
    return grad_mode._state.record and any(isinstance(t, Tensor) and t.requires_grad for t in ts)


def _in_place(input: Tensor, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """``fn(input)`` written into ``input``, as PyTorch's ``inplace=True``: under autograd
    the graph goes on from the new value (a leaf that requires grad raises)."""
    if _tracking(input):
        input._check_inplace()
        input._rebind(fn(input._snapshot()))
    else:
        input._data[...] = fn(input)._data
    return input


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies the rectified linear unit element-wise: :math:`\max(0, x)`.

    Args:
        input (Tensor): the input, any shape.
        inplace (bool): write the result into ``input`` and return it. Default: ``False``

    Example::

        >>> F.relu(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 3.])
    """
    if inplace and not _tracking(input):
        np.maximum(input._data, 0, out=input._data)
        return input
    if inplace:
        return _in_place(input, _Relu)
    return _Relu(input)


def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`: ``input`` is overwritten and returned.

    Args:
        input (Tensor): the input, any shape.

    Example::

        >>> x = fastnn.tensor([-1.0, 2.0])
        >>> F.relu_(x) is x, x
        (True, tensor([0., 2.]))
    """
    return relu(input, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`\min(\max(0, x), 6)` element-wise.

    Args:
        input (Tensor): the input, any shape.
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.relu6(fastnn.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamps each element to ``[min_val, max_val]``; the gradient is 1 strictly inside, else 0.

    Args:
        input (Tensor): the input, any shape.
        min_val (float): lower bound. Default: ``-1.0``
        max_val (float): upper bound. Default: ``1.0``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.hardtanh(fastnn.tensor([-2.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if inplace and not _tracking(input):
        np.clip(input._data, min_val, max_val, out=input._data)
        return input
    if inplace:
        return _in_place(input, lambda x: hardtanh(x, min_val, max_val))
    return _nn.Hardtanh.apply(input, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""Applies :math:`x` for :math:`x \ge 0`, else :math:`\text{negative\_slope} \cdot x`.

    Args:
        input (Tensor): the input, any shape.
        negative_slope (float): slope for negative inputs. Default: ``0.01``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.leaky_relu(fastnn.tensor([-2.0, 3.0]), negative_slope=0.1)
        tensor([-0.2000,  3.0000])
    """
    if inplace and not _tracking(input):
        d = input._data
        np.multiply(d, d.dtype.type(negative_slope), out=d, where=d < 0)
        return input
    if inplace:
        return _in_place(input, lambda x: leaky_relu(x, negative_slope))
    return _nn.LeakyRelu.apply(input, float(negative_slope))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Applies :math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`.

    Args:
        input (Tensor): the input, any shape.
        alpha (float): the saturation value for negative inputs. Default: ``1.0``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.elu(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.8647,  0.0000,  3.0000])
    """
    if inplace:
        return _in_place(input, lambda x: elu(x, alpha))
    return _nn.Elu.apply(input, float(alpha))


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Scaled ELU: :math:`\lambda\,\mathrm{elu}(x, \alpha)` with PyTorch's constants
    :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507`.

    Args:
        input (Tensor): the input, any shape.
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.selu(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.5202,  0.0000,  3.1521])
    """
    if inplace:
        return _in_place(input, selu)
    return elu(input, 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""Applies :math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, and :math:`x` itself where
    :math:`\beta x > \text{threshold}` (for numerical stability).

    Args:
        input (Tensor): the input, any shape.
        beta (float): the :math:`\beta` of the formula. Default: ``1.0``
        threshold (float): above this :math:`\beta x` the function is linear. Default: ``20.0``

    Example::

        >>> F.softplus(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([0.1269, 0.6931, 3.0486])
    """
    return _nn.Softplus.apply(input, float(beta), float(threshold))


def logsigmoid(input: Tensor) -> Tensor:
    r"""Applies :math:`\log \frac{1}{1 + e^{-x}}` element-wise (computed as ``-softplus(-x)``).

    Args:
        input (Tensor): the input, any shape.

    Example::

        >>> F.logsigmoid(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-2.1269, -0.6931, -0.0486])
    """
    return -softplus(-input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Sigmoid linear unit (swish): :math:`x \cdot \sigma(x)`.

    Args:
        input (Tensor): the input, any shape.
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.silu(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.2384,  0.0000,  2.8577])
    """
    if inplace:
        return _in_place(input, silu)
    return input * input.sigmoid()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    r"""Applies :math:`x \cdot \tanh(\mathrm{softplus}(x))` element-wise.

    Args:
        input (Tensor): the input, any shape.
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> F.mish(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.2525,  0.0000,  2.9865])
    """
    if inplace:
        return _in_place(input, mish)
    return input * softplus(input).tanh()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    r"""Gaussian error linear unit: :math:`x \Phi(x)`, :math:`\Phi` the standard normal CDF.

    Args:
        input (Tensor): the input, any shape.
        approximate (str): ``'none'`` for the exact erf form, ``'tanh'`` for
            :math:`0.5x(1 + \tanh(\sqrt{2/\pi}(x + 0.044715x^3)))`. Default: ``'none'``

    Example::

        >>> F.gelu(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.0455,  0.0000,  2.9960])
        >>> F.gelu(fastnn.tensor([-2.0, 0.0, 3.0]), approximate="tanh")
        tensor([-0.0454,  0.0000,  2.9964])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _nn.Gelu.apply(input, approximate)


def sigmoid(input: Tensor) -> Tensor:
    r"""Applies :math:`\sigma(x) = 1 / (1 + e^{-x})` element-wise.

    Args:
        input (Tensor): the input, any shape.

    Example::

        >>> F.sigmoid(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([0.1192, 0.5000, 0.9526])
    """
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Applies the hyperbolic tangent element-wise.

    Args:
        input (Tensor): the input, any shape.

    Example::

        >>> F.tanh(fastnn.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.9640,  0.0000,  0.9951])
    """
    return input.tanh()


def _softmax_dim(ndim: int, dim: int | None) -> int:
    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if ndim in (0, 1, 3) else 1
    return norm_dim(dim, ndim)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    r"""Applies :math:`e^{x_i} / \sum_j e^{x_j}` along ``dim``: the slices along it sum to 1.

    Args:
        input (Tensor): the input, any shape.
        dim (int): the dimension to normalise. ``None`` picks PyTorch's legacy default
            (0 for 0-, 1- and 3-dim inputs, else 1). Default: ``None``
        dtype (fastnn.dtype, optional): cast ``input`` to this dtype first. Default: ``None``

    Example::

        >>> F.softmax(fastnn.tensor([[1.0, 2.0, 3.0]]), dim=1)
        tensor([[0.0900, 0.2447, 0.6652]])
    """
    x = input if dtype is None else input.to(dtype)
    if x.ndim == 0:
        return _nn.Softmax.apply(x.reshape(1), 0).reshape(())
    return _nn.Softmax.apply(x, _softmax_dim(x.ndim, dim))


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """Softmax of ``-input`` along ``dim``: the smallest element gets the largest weight.

    Args:
        input (Tensor): the input, any shape.
        dim (int): the dimension to normalise (``None``: as :func:`softmax`). Default: ``None``
        dtype (fastnn.dtype, optional): cast ``input`` to this dtype first. Default: ``None``

    Example::

        >>> F.softmin(fastnn.tensor([[1.0, 2.0, 3.0]]), dim=1)
        tensor([[0.6652, 0.2447, 0.0900]])
    """
    return softmax(-input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    r"""Applies :math:`x_i - \log \sum_j e^{x_j}` along ``dim`` (stabler than ``log(softmax)``).

    Args:
        input (Tensor): the input, any shape.
        dim (int): the dimension to normalise (``None``: as :func:`softmax`). Default: ``None``
        dtype (fastnn.dtype, optional): cast ``input`` to this dtype first. Default: ``None``

    Example::

        >>> F.log_softmax(fastnn.tensor([[1.0, 2.0, 3.0]]), dim=1)
        tensor([[-2.4076, -1.4076, -0.4076]])
    """
    x = input if dtype is None else input.to(dtype)
    if x.ndim == 0:
        return _nn.LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return _nn.LogSoftmax.apply(x, _softmax_dim(x.ndim, dim))
