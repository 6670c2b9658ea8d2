"""Keras's pooling layers over channels-last data: MaxPooling2D, AveragePooling2D,
MaxPooling1D and the global poolings (average or max over every spatial axis)."""
from __future__ import annotations

import math

from ..nn import functional as F
from .base_layer import Layer, _pair
from .layers_conv import _same_padding


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = _pair(pool_size, "pool_size")
        self.strides = _pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = padding
        self.data_format = data_format or "channels_last"
        self.built = True

    def call(self, x):
        if self.data_format == "channels_last":
            x = x.permute(0, 3, 1, 2)
        if self.padding == "same":
            (t, b), (l, r) = (_same_padding(x.shape[2 + i], self.pool_size[i], self.strides[i], 1)
                              for i in range(2))
            if t or b or l or r:
                x = self._pad_same(x, (l, r, t, b))
        y = self._pool(x)
        return y.permute(0, 2, 3, 1) if self.data_format == "channels_last" else y

    def extra_repr(self):
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


class MaxPooling2D(_Pooling2D):
    def _pad_same(self, x, pad):
        return F.pad(x, pad, value=-math.inf)  # padding never wins the max

    def _pool(self, x):
        return F.max_pool2d(x, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    def _pad_same(self, x, pad):
        raise NotImplementedError("AveragePooling2D: padding='same' with uneven padding is not supported")

    def _pool(self, x):
        return F.avg_pool2d(x, self.pool_size, self.strides)


class GlobalAveragePooling2D(Layer):
    def __init__(self, data_format=None, keepdims=False, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.built = True

    def call(self, x):
        dims = (1, 2) if self.data_format == "channels_last" else (2, 3)
        return x.mean(dim=dims, keepdim=self.keepdims)


class MaxPooling1D(Layer):
    def __init__(self, pool_size=2, strides=None, padding="valid", name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        if padding != "valid":
            raise NotImplementedError("MaxPooling1D: only padding='valid' is supported")
        self.pool_size = int(pool_size)
        self.strides = int(strides) if strides is not None else self.pool_size
        self.built = True

    def call(self, x):
        return F.max_pool1d(x.permute(0, 2, 1), self.pool_size, self.strides).permute(0, 2, 1)


class _Global(Layer):
    _dims = None
    _op = "mean"

    def __init__(self, data_format=None, keepdims=False, name=None, **kwargs):
        super().__init__(activation=None, name=name, **kwargs)
        self.data_format = data_format or "channels_last"
        self.keepdims = keepdims
        self.built = True

    def call(self, x):
        dims = tuple(range(1, x.ndim - 1)) if self.data_format == "channels_last" \
            else tuple(range(2, x.ndim))
        if self._op == "mean":
            return x.mean(dim=dims, keepdim=self.keepdims)
        for d in sorted(dims, reverse=True):
            x = x.max(dim=d, keepdim=self.keepdims)[0]
        return x


class GlobalAveragePooling1D(_Global):
    pass


class GlobalMaxPooling1D(_Global):
    _op = "max"


class GlobalMaxPooling2D(_Global):
    _op = "max"
