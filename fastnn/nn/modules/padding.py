"""Padding layers (ReflectionPad2d, ReplicationPad2d, ZeroPad2d, ConstantPad2d, ...):
thin modules over F.pad, padding given as one int or (left, right[, top, bottom[, ...]])."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Sequence, Union

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor

_padding_t = Union[int, Sequence[int]]


class _PadNd(Module):
    _mode = "constant"
    _n = 2

    def __init__(self, padding: _padding_t, value: float = 0.0) -> None:
        super().__init__()
        # int is listed for mypy's narrowing; numbers.Integral also admits NumPy ints
        if isinstance(padding, (int, numbers.Integral)):
            padding = (int(padding),) * (2 * self._n)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self._n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a "
                             f"{2 * self._n}-tuple, got {padding}")
        self.padding, self.value = padding, value

    def forward(self, input: Tensor) -> Tensor:
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


class ReflectionPad1d(_PadNd):
    """Pads the last dimension of the input by reflection at its boundary.

    The edge value is not repeated: ``[0, 1, 2]`` padded by 1 gives ``[1, 0, 1, 2, 1]``.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 2-tuple gives (left, right).
            Each size must be less than the input's size in that dimension.

    Shape:
        - Input: :math:`(N, C, W_{in})` or :math:`(C, W_{in})`
        - Output: :math:`(N, C, W_{out})` or :math:`(C, W_{out})`, where
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ReflectionPad1d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 4))
        tensor([[[1., 0., 1., 2., 3., 2.]]])
    """

    _mode = "reflect"
    _n = 1

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class ReplicationPad1d(_PadNd):
    """Pads the last dimension of the input with copies of the input's edge value.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 2-tuple gives (left, right).

    Shape:
        - Input: :math:`(N, C, W_{in})` or :math:`(C, W_{in})`
        - Output: :math:`(N, C, W_{out})` or :math:`(C, W_{out})`, where
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ReplicationPad1d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 4))
        tensor([[[0., 0., 1., 2., 3., 3.]]])
    """

    _mode = "replicate"
    _n = 1

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class CircularPad1d(_PadNd):
    """Pads the last dimension of the input circularly.

    The padding holds the values from the opposite end (a wrap-around).

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 2-tuple gives (left, right).
            Each size must be at most the input's size in that dimension.

    Shape:
        - Input: :math:`(N, C, W_{in})` or :math:`(C, W_{in})`
        - Output: :math:`(N, C, W_{out})` or :math:`(C, W_{out})`, where
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.CircularPad1d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 4))
        tensor([[[3., 0., 1., 2., 3., 0.]]])
    """

    _mode = "circular"
    _n = 1

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class ZeroPad1d(_PadNd):
    """Pads the last dimension of the input with zeros.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 2-tuple gives (left, right).
        value (float): the fill value (fastnn only: PyTorch's ZeroPad takes no value).
            Default: 0.0

    Shape:
        - Input: :math:`(N, C, W_{in})` or :math:`(C, W_{in})`
        - Output: :math:`(N, C, W_{out})` or :math:`(C, W_{out})`, where
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ZeroPad1d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 4))
        tensor([[[0., 0., 1., 2., 3., 0.]]])
    """

    _mode = "constant"
    _n = 1


class ConstantPad1d(_PadNd):
    """Pads the last dimension of the input with ``value``.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 2-tuple gives (left, right).
        value (float): the fill value.

    Shape:
        - Input: :math:`(N, C, W_{in})` or :math:`(C, W_{in})`
        - Output: :math:`(N, C, W_{out})` or :math:`(C, W_{out})`, where
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ConstantPad1d(1, 3.5)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 4))
        tensor([[[3.5000, 0.0000, 1.0000, 2.0000, 3.0000, 3.5000]]])
    """

    _mode = "constant"
    _n = 1

    def __init__(self, padding: _padding_t, value: float) -> None:  # value required, as torch
        super().__init__(padding, value)


class ReflectionPad2d(_PadNd):
    """Pads the last 2 dimensions of the input by reflection at its boundary.

    The edge value is not repeated: ``[0, 1, 2]`` padded by 1 gives ``[1, 0, 1, 2, 1]``.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 4-tuple gives (left, right, top, bottom).
            Each size must be less than the input's size in that dimension.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = H_in + top + bottom``, ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ReflectionPad2d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 2, 2))
        tensor([[[[3., 2., 3., 2.],
                  [1., 0., 1., 0.],
                  [3., 2., 3., 2.],
                  [1., 0., 1., 0.]]]])
    """

    _mode = "reflect"
    _n = 2

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class ReplicationPad2d(_PadNd):
    """Pads the last 2 dimensions of the input with copies of the input's edge value.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 4-tuple gives (left, right, top, bottom).

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = H_in + top + bottom``, ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ReplicationPad2d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 2, 2))
        tensor([[[[0., 0., 1., 1.],
                  [0., 0., 1., 1.],
                  [2., 2., 3., 3.],
                  [2., 2., 3., 3.]]]])
    """

    _mode = "replicate"
    _n = 2

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class CircularPad2d(_PadNd):
    """Pads the last 2 dimensions of the input circularly.

    The padding holds the values from the opposite end (a wrap-around).

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 4-tuple gives (left, right, top, bottom).
            Each size must be at most the input's size in that dimension.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = H_in + top + bottom``, ``W_out = W_in + left + right``

    Example::

        >>> m = nn.CircularPad2d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 2, 2))
        tensor([[[[3., 2., 3., 2.],
                  [1., 0., 1., 0.],
                  [3., 2., 3., 2.],
                  [1., 0., 1., 0.]]]])
    """

    _mode = "circular"
    _n = 2

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class ZeroPad2d(_PadNd):
    """Pads the last 2 dimensions of the input with zeros.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 4-tuple gives (left, right, top, bottom).
        value (float): the fill value (fastnn only: PyTorch's ZeroPad takes no value).
            Default: 0.0

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = H_in + top + bottom``, ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ZeroPad2d(1)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 2, 2))
        tensor([[[[0., 0., 0., 0.],
                  [0., 0., 1., 0.],
                  [0., 2., 3., 0.],
                  [0., 0., 0., 0.]]]])
    """

    _mode = "constant"
    _n = 2


class ConstantPad2d(_PadNd):
    """Pads the last 2 dimensions of the input with ``value``.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 4-tuple gives (left, right, top, bottom).
        value (float): the fill value.

    Shape:
        - Input: :math:`(N, C, H_{in}, W_{in})` or :math:`(C, H_{in}, W_{in})`
        - Output: :math:`(N, C, H_{out}, W_{out})` or :math:`(C, H_{out}, W_{out})`, where
          ``H_out = H_in + top + bottom``, ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ConstantPad2d(1, 3.5)
        >>> m(fastnn.arange(4.0).reshape(1, 1, 2, 2))
        tensor([[[[3.5000, 3.5000, 3.5000, 3.5000],
                  [3.5000, 0.0000, 1.0000, 3.5000],
                  [3.5000, 2.0000, 3.0000, 3.5000],
                  [3.5000, 3.5000, 3.5000, 3.5000]]]])
    """

    _mode = "constant"
    _n = 2

    def __init__(self, padding: _padding_t, value: float) -> None:  # value required, as torch
        super().__init__(padding, value)


class ReflectionPad3d(_PadNd):
    """Pads the last 3 dimensions of the input by reflection at its boundary.

    The edge value is not repeated: ``[0, 1, 2]`` padded by 1 gives ``[1, 0, 1, 2, 1]``.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 6-tuple gives (left, right, top, bottom, front, back).
            Each size must be less than the input's size in that dimension.

    Shape:
        - Input: :math:`(N, C, D_{in}, H_{in}, W_{in})` or :math:`(C, D_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C, D_{out}, H_{out}, W_{out})` or :math:`(C, D_{out}, H_{out}, W_{out})`, where
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom``,
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ReflectionPad3d(1)
        >>> m(fastnn.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _mode = "reflect"
    _n = 3

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class ReplicationPad3d(_PadNd):
    """Pads the last 3 dimensions of the input with copies of the input's edge value.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 6-tuple gives (left, right, top, bottom, front, back).

    Shape:
        - Input: :math:`(N, C, D_{in}, H_{in}, W_{in})` or :math:`(C, D_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C, D_{out}, H_{out}, W_{out})` or :math:`(C, D_{out}, H_{out}, W_{out})`, where
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom``,
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ReplicationPad3d(1)
        >>> m(fastnn.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _mode = "replicate"
    _n = 3

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class CircularPad3d(_PadNd):
    """Pads the last 3 dimensions of the input circularly.

    The padding holds the values from the opposite end (a wrap-around).

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 6-tuple gives (left, right, top, bottom, front, back).
            Each size must be at most the input's size in that dimension.

    Shape:
        - Input: :math:`(N, C, D_{in}, H_{in}, W_{in})` or :math:`(C, D_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C, D_{out}, H_{out}, W_{out})` or :math:`(C, D_{out}, H_{out}, W_{out})`, where
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom``,
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.CircularPad3d(1)
        >>> m(fastnn.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _mode = "circular"
    _n = 3

    def __init__(self, padding: _padding_t) -> None:  # only the constant pads take a value
        super().__init__(padding)


class ZeroPad3d(_PadNd):
    """Pads the last 3 dimensions of the input with zeros.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 6-tuple gives (left, right, top, bottom, front, back).
        value (float): the fill value (fastnn only: PyTorch's ZeroPad takes no value).
            Default: 0.0

    Shape:
        - Input: :math:`(N, C, D_{in}, H_{in}, W_{in})` or :math:`(C, D_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C, D_{out}, H_{out}, W_{out})` or :math:`(C, D_{out}, H_{out}, W_{out})`, where
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom``,
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ZeroPad3d(1)
        >>> m(fastnn.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _mode = "constant"
    _n = 3


class ConstantPad3d(_PadNd):
    """Pads the last 3 dimensions of the input with ``value``.

    Args:
        padding (int or tuple): the padding size; one int pads every side by it,
            a 6-tuple gives (left, right, top, bottom, front, back).
        value (float): the fill value.

    Shape:
        - Input: :math:`(N, C, D_{in}, H_{in}, W_{in})` or :math:`(C, D_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C, D_{out}, H_{out}, W_{out})` or :math:`(C, D_{out}, H_{out}, W_{out})`, where
          ``D_out = D_in + front + back``, ``H_out = H_in + top + bottom``,
          ``W_out = W_in + left + right``

    Example::

        >>> m = nn.ConstantPad3d(1, 3.5)
        >>> m(fastnn.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _mode = "constant"
    _n = 3

    def __init__(self, padding: _padding_t, value: float) -> None:  # value required, as torch
        super().__init__(padding, value)


__all__ = [
    "ReflectionPad1d", "ReplicationPad1d", "CircularPad1d", "ZeroPad1d", "ConstantPad1d",
    "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d", "ZeroPad2d", "ConstantPad2d",
    "ReflectionPad3d", "ReplicationPad3d", "CircularPad3d", "ZeroPad3d", "ConstantPad3d",
]
