"""Keras's reshaping layers over channels-last data: Flatten, Reshape, UpSampling2D,
ZeroPadding2D."""
from __future__ import annotations

from ..nn import functional as F
from .base_layer import Layer, _pair


class Flatten(Layer):
    """Flatten all but the batch axis (in the channels-last order Keras uses)."""

    def __init__(self, data_format=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x):
        if self.data_format == "channels_first" and x.ndim > 2:  # Keras flattens channels last
            x = x.permute(0, *range(2, x.ndim), 1)
        return x.reshape(x.shape[0], -1)


class Reshape(Layer):
    def __init__(self, target_shape, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.target_shape = tuple(target_shape)
        self.built = True

    def call(self, x):
        return x.reshape((x.shape[0],) + self.target_shape)


def _data_format(value, layer):
    """``data_format`` checked: None means channels last, Keras's default."""
    value = value or "channels_last"
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value


class UpSampling2D(Layer):
    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if interpolation != "nearest":
            raise NotImplementedError("UpSampling2D: only interpolation='nearest' is supported")
        self.size = _pair(size, "size")
        self.data_format = _data_format(data_format, "UpSampling2D")
        self.built = True

    def call(self, x):
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
    def __init__(self, padding=(1, 1), data_format=None, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif all(isinstance(p, int) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        self.padding = tuple(tuple(int(v) for v in p) for p in padding)
        self.data_format = _data_format(data_format, "ZeroPadding2D")
        self.built = True

    def call(self, x):
        (t, b), (l, r) = self.padding
        if self.data_format == "channels_first":
            return F.pad(x, (l, r, t, b))
        return F.pad(x.permute(0, 3, 1, 2), (l, r, t, b)).permute(0, 2, 3, 1)
