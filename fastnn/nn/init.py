"""Weight initialisation, as ``torch.nn.init``: fill a Tensor's array in place.

Every function draws from ``fastnn.random.default_generator()`` (or the
``generator`` argument, a ``numpy.random.Generator``), so ``fastnn.manual_seed``
makes model construction reproducible. Values are drawn in float64 and cast to
the tensor's dtype. Fans follow PyTorch: for a weight of shape
``(out, in, *kernel)``, fan_in = in * prod(kernel), fan_out = out * prod(kernel).
Every fill function changes the tensor in place and returns it.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from .. import random as _random
from .._tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "trunc_normal_", "orthogonal_"]


def _gen(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else _random.default_generator()


def _check(tensor: Tensor, fname: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{fname}: expected a fastnn Tensor, got {type(tensor).__name__}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` (NumPy, any float dtype) into tensor's array, keeping its dtype/device."""
    arr = tensor._data
    if isinstance(arr, np.ndarray):
        if arr.flags.writeable:
            arr[...] = values
        else:
            tensor._data = np.array(values, dtype=arr.dtype).reshape(arr.shape)
    else:  # a GPU array: draw on the host, copy over
        from .._device_move import device_of, move_array
        arr[...] = move_array(np.asarray(values), device_of(arr))
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return the recommended gain for an activation (PyTorch's table).

    The gain scales the standard deviation of an initialisation so that the
    activation keeps the signal's variance: 1 for linear, conv and sigmoid, 5/3
    for tanh, sqrt(2) for relu, sqrt(2 / (1 + negative_slope^2)) for leaky_relu,
    3/4 for selu.

    Args:
        nonlinearity (str): the function's name, e.g. ``'relu'``, ``'conv2d'``.
        param (float, optional): leaky_relu's negative slope. Default: 0.01

    Raises:
        ValueError: an unknown nonlinearity or a slope that is not a number.

    Example::

        >>> nn.init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
        >>> nn.init.calculate_gain("tanh")
        1.6666666666666667
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than "
                         "2 dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with values drawn from the uniform distribution U(a, b).

    Args:
        tensor (Tensor): the tensor to fill, in place.
        a (float): the lower bound. Default: 0.0
        b (float): the upper bound. Default: 1.0
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.uniform_(fastnn.empty(3, 5), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    _check(tensor, "uniform_")
    return _fill(tensor, _gen(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with values drawn from the normal distribution N(mean, std^2).

    Args:
        tensor (Tensor): the tensor to fill, in place.
        mean (float): the mean. Default: 0.0
        std (float): the standard deviation. Default: 1.0
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.normal_(fastnn.empty(100, 100), mean=3.0, std=0.5)
        >>> round(w.mean().item(), 1), round(w.std().item(), 1)
        (3.0, 0.5)
    """
    _check(tensor, "normal_")
    return _fill(tensor, _gen(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with N(mean, std^2) truncated to [a, b].

    Values outside [a, b] are drawn again. It warns when ``mean`` is more than
    two standard deviations outside [a, b] (the draw is then inefficient).

    Args:
        tensor (Tensor): the tensor to fill, in place.
        mean (float): the mean of the normal distribution. Default: 0.0
        std (float): its standard deviation. Default: 1.0
        a (float): the lower cut-off. Default: -2.0
        b (float): the upper cut-off, greater than ``a``. Default: 2.0
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.trunc_normal_(fastnn.empty(1000), a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    _check(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    g = _gen(generator)
    n = int(np.prod(tensor.shape, dtype=np.int64))
    out = g.normal(mean, std, size=n)
    bad = (out < a) | (out > b)
    for _ in range(100):  # each round keeps P(inside) of the rest; 100 rounds is plenty
        k = int(bad.sum())
        if k == 0:
            break
        out[bad] = g.normal(mean, std, size=k)
        bad = (out < a) | (out > b)
    if bad.any():  # only for a window far out in a tail: fall back to uniform inside it
        out[bad] = g.uniform(a, b, size=int(bad.sum()))
    return _fill(tensor, out.reshape(tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with the value ``val``.

    Args:
        tensor (Tensor): the tensor to fill, in place.
        val (float): the value.

    Example::

        >>> nn.init.constant_(fastnn.empty(2, 3), 0.3)
        tensor([[0.3000, 0.3000, 0.3000],
                [0.3000, 0.3000, 0.3000]])
    """
    _check(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones.

    Example::

        >>> nn.init.ones_(fastnn.empty(3))
        tensor([1., 1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros.

    Example::

        >>> nn.init.zeros_(fastnn.empty(3))
        tensor([0., 0., 0.])
    """
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D ``tensor`` with the identity matrix (ones on the main diagonal).

    A Linear layer with this weight (and no bias) passes its inputs through.

    Args:
        tensor (Tensor): a 2-D tensor, filled in place.

    Example::

        >>> nn.init.eye_(fastnn.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta.

    A convolution with this weight keeps as many input channels as it can,
    unchanged (one at the kernel's centre per output channel, within each group).

    Args:
        tensor (Tensor): the weight ``(out, in, *kernel)``, filled in place.
        groups (int): the number of groups of the convolution; divides ``out``.
            Default: 1

    Example::

        >>> nn.init.dirac_(fastnn.empty(2, 2, 3))
        tensor([[[0., 1., 0.],
                 [0., 0., 0.]],
        <BLANKLINE>
                [[0., 0., 0.],
                 [0., 1., 0.]]])
    """
    _check(tensor, "dirac_")
    shape = tuple(tensor.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = shape[0] // groups
    min_dim = min(out_per_group, shape[1])
    vals = np.zeros(shape)
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min_dim):
            vals[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, vals)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Glorot & Bengio (2010)'s initialisation, also called Glorot initialisation.

    Args:
        tensor (Tensor): at least 2-D, filled in place.
        gain (float): a scaling factor (see :func:`calculate_gain`). Default: 1.0
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.xavier_uniform_(fastnn.empty(30, 50), gain=nn.init.calculate_gain("relu"))
        >>> bool(w.abs().max() <= 2 ** 0.5 * (6 / 80) ** 0.5)
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_check(tensor, "xavier_uniform_"))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Args:
        tensor (Tensor): at least 2-D, filled in place.
        gain (float): a scaling factor (see :func:`calculate_gain`). Default: 1.0
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.xavier_normal_(fastnn.empty(200, 300))
        >>> round(w.std().item(), 3)
        0.063
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_check(tensor, "xavier_normal_"))
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with U(-bound, bound), ``bound = gain * sqrt(3 / fan_mode)``.

    He et al. (2015)'s initialisation; ``gain = calculate_gain(nonlinearity, a)``.
    A tensor with no elements is left alone, with a warning.

    Args:
        tensor (Tensor): at least 2-D, filled in place.
        a (float): the negative slope of the leaky_relu that follows (0 for relu).
            Default: 0
        mode (str): ``'fan_in'`` keeps the variance of the forward pass,
            ``'fan_out'`` that of the backward pass. Default: ``'fan_in'``
        nonlinearity (str): the activation's name, ``'relu'`` or ``'leaky_relu'``
            (recommended). Default: ``'leaky_relu'``
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.kaiming_uniform_(fastnn.empty(30, 50), mode="fan_in", nonlinearity="relu")
        >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
        True
    """
    _check(tensor, "kaiming_uniform_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with N(0, std^2), ``std = gain / sqrt(fan_mode)``.

    He et al. (2015)'s initialisation; ``gain = calculate_gain(nonlinearity, a)``.

    Args:
        tensor (Tensor): at least 2-D, filled in place.
        a (float): the negative slope of the leaky_relu that follows (0 for relu).
            Default: 0
        mode (str): ``'fan_in'`` keeps the variance of the forward pass,
            ``'fan_out'`` that of the backward pass. Default: ``'fan_in'``
        nonlinearity (str): the activation's name, ``'relu'`` or ``'leaky_relu'``
            (recommended). Default: ``'leaky_relu'``
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.kaiming_normal_(fastnn.empty(200, 300), mode="fan_out", nonlinearity="relu")
        >>> round(w.std().item(), 2)
        0.1
    """
    _check(tensor, "kaiming_normal_")
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1,
                generator: np.random.Generator | None = None) -> Tensor:
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013).

    The matrix is the Q of the QR decomposition of a Gaussian one, the signs
    of R's diagonal folded in so the result is uniformly distributed.
    Dimensions after the first are flattened.

    Args:
        tensor (Tensor): at least 2-D, filled in place.
        gain (float): the scaling factor. Default: 1
        generator (numpy.random.Generator, optional): draw from this instead of
            fastnn's default generator.

    Example::

        >>> w = nn.init.orthogonal_(fastnn.empty(3, 5))
        >>> bool(((w @ w.T) - fastnn.eye(3)).abs().max() < 1e-5)
        True
    """
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _gen(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


# PyTorch's deprecated names without the trailing underscore
def _deprecated(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def wrapper(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"nn.init.{fn.__name__[:-1]} is now deprecated in favor of "
                      f"nn.init.{fn.__name__}.", FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    wrapper.__name__ = fn.__name__[:-1]
    return wrapper


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
