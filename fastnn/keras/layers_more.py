"""Layers once defined here, now in one file per family (normalization, recurrent, conv,
pooling, preprocessing, reshaping); this module keeps the old import path working."""
from __future__ import annotations

from .base_layer import _tensor  # noqa: F401
from .layers_conv import Conv1D
from .layers_normalization import BatchNormalization, LayerNormalization, _channel_axis  # noqa: F401
from .layers_pooling import (GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D,
                             _Global)  # noqa: F401
from .layers_preprocessing import Normalization, Rescaling
from .layers_recurrent import GRU, LSTM, Embedding, SimpleRNN, _orthogonal, _Recurrent, _zrh  # noqa: F401
from .layers_reshaping import UpSampling2D, ZeroPadding2D

__all__ = ["BatchNormalization", "LayerNormalization", "Embedding", "LSTM", "GRU", "SimpleRNN", "Conv1D",
           "MaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "Rescaling", "Normalization", "UpSampling2D", "ZeroPadding2D"]
