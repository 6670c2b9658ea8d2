"""Keras's reshaping layers over channels-last data: Flatten, Reshape, UpSampling2D,
ZeroPadding2D."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..nn import functional as F
from .base_layer import Layer, _pair

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor
    from ._typing import IntPair


class Flatten(Layer):
    """Flatten every axis but the batch axis into one.

    Args:
        data_format (str, optional): ``"channels_first"`` input is flattened in the
            channels-last order Keras uses, so the features line up with a channels-last
            model. Default: channels last.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, *)``
        - Output: ``(N, product of *)``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Flatten()(fastnn.ones(2, 3, 4)).shape
        (2, 12)
    """

    def __init__(self, data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        if self.data_format == "channels_first" and x.ndim > 2:  # Keras flattens channels last
            x = x.permute(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (the batch axis stays).

    Args:
        target_shape (tuple of int): the new shape of one sample; one entry may be -1.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, *)``
        - Output: ``(N,) + target_shape``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.Reshape((4, 3))(fastnn.ones(2, 12)).shape
        (2, 4, 3)
    """

    def __init__(self, target_shape: Sequence[int], name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        return x.reshape((x.shape[0],) + self.target_shape)


def _data_format(value: str | None, layer: str) -> str:
    """``data_format`` checked: None means channels last, Keras's default."""
    value = value or "channels_last"
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value


class UpSampling2D(Layer):
    """Repeat the rows and columns of images ``size`` times (nearest-neighbour upsampling).

    Args:
        size (int or tuple): the factors for height and width. Default: ``(2, 2)``.
        data_format (str, optional): ``"channels_last"`` or ``"channels_first"``.
            Default: channels last.
        interpolation (str): only ``"nearest"`` is supported. Default: ``"nearest"``.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C)`` (channels last) or ``(N, C, H, W)``
        - Output: ``(N, H * size[0], W * size[1], C)`` or ``(N, C, H * size[0], W * size[1])``

    Example::

        >>> from fastnn import keras
        >>> keras.layers.UpSampling2D()(fastnn.ones(1, 2, 2, 3)).shape
        (1, 4, 4, 3)
    """

    def __init__(self, size: IntPair = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        if interpolation != "nearest":
            raise NotImplementedError("UpSampling2D: only interpolation='nearest' is supported")
        self.size = _pair(size, "size")
        self.data_format = _data_format(data_format, "UpSampling2D")
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        from .. import ones
        sh, sw = self.size
        if self.data_format == "channels_first":
            n, c, h, w = x.shape
            x = x.reshape(n, c, h, 1, w, 1) * ones(1, 1, 1, sh, 1, sw, dtype=x.dtype)
            return x.reshape(n, c, h * sh, w * sw)
        n, h, w, c = x.shape
        x = x.reshape(n, h, 1, w, 1, c)
        x = x * ones(1, 1, sh, 1, sw, 1, dtype=x.dtype)
        return x.reshape(n, h * sh, w * sw, c)


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around images.

    Args:
        padding (int, tuple or tuple of tuples): the same on every side (int), symmetric
            ``(rows, cols)``, or ``((top, bottom), (left, right))``. Default: ``(1, 1)``.
        data_format (str, optional): ``"channels_last"`` or ``"channels_first"``.
            Default: channels last.
        name (str, optional): the layer's name.

    Shape:
        - Input: ``(N, H, W, C)`` (channels last) or ``(N, C, H, W)``
        - Output: ``(N, H + top + bottom, W + left + right, C)`` or channels first

    Example::

        >>> from fastnn import keras
        >>> keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(fastnn.ones(1, 2, 2, 3)).shape
        (1, 3, 5, 3)
    """

    def __init__(self, padding: int | Sequence[int] | Sequence[Sequence[int]] = (1, 1),
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(activation=None, name=name, **kwargs)
        pads: Any = padding
        if isinstance(pads, int):
            pads = ((pads, pads), (pads, pads))
        elif all(isinstance(p, int) for p in pads):
            pads = ((pads[0], pads[0]), (pads[1], pads[1]))
        self.padding = tuple(tuple(int(v) for v in p) for p in pads)
        self.data_format = _data_format(data_format, "ZeroPadding2D")
        self.built = True

    def call(self, x: Tensor) -> Tensor:
        (t, b), (l, r) = self.padding
        if self.data_format == "channels_first":
            return F.pad(x, (l, r, t, b))
        return F.pad(x.permute(0, 3, 1, 2), (l, r, t, b)).permute(0, 2, 3, 1)
