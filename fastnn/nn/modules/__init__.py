"""fastnn.nn layers, one family per file as in torch/nn/modules."""
from .module import Module, RemovableHandle, move_array  # noqa: F401
from .container import Sequential, ModuleList, ModuleDict  # noqa: F401
from .linear import Identity, Linear, Bilinear  # noqa: F401
from .conv import Conv1d, Conv2d  # noqa: F401
from .pooling import MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d  # noqa: F401
from .batchnorm import BatchNorm1d, BatchNorm2d  # noqa: F401
from .normalization import LayerNorm  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .activation import (ReLU, LeakyReLU, GELU, Sigmoid, Tanh, ELU, SiLU,  # noqa: F401
                         Hardtanh, ReLU6, SELU, Softplus, LogSigmoid, Mish, Softmax, Softmin,
                         LogSoftmax)
from .loss import (L1Loss, MSELoss, SmoothL1Loss, HuberLoss, KLDivLoss, NLLLoss,  # noqa: F401
                   CrossEntropyLoss, BCELoss, BCEWithLogitsLoss)

__all__ = [
    "Module", "Sequential", "ModuleList", "ModuleDict", "Identity", "Linear", "Bilinear",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Dropout", "Flatten", "Unflatten", "Embedding", "ReLU", "LeakyReLU", "GELU",
    "Sigmoid", "Tanh", "ELU", "SiLU", "Hardtanh", "ReLU6", "SELU", "Softplus", "LogSigmoid",
    "Mish", "Softmax", "Softmin", "LogSoftmax", "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss",
    "KLDivLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
]

from .rnn import RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell  # noqa: F401,E402
__all__ += ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

from .conv import ConvTranspose1d, ConvTranspose2d  # noqa: F401,E402
__all__ += ["ConvTranspose1d", "ConvTranspose2d"]
from .attention import MultiheadAttention  # noqa: F401,E402
__all__ += ["MultiheadAttention"]
from .transformer import (Transformer, TransformerEncoder, TransformerDecoder,  # noqa: F401,E402
                          TransformerEncoderLayer, TransformerDecoderLayer)
__all__ += ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
            "TransformerDecoderLayer"]
from .container import ParameterList, ParameterDict  # noqa: F401,E402
from .dropout import Dropout1d, Dropout2d, Dropout3d  # noqa: F401,E402
from .pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: F401,E402
from .upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d  # noqa: F401,E402
__all__ += ["ParameterList", "ParameterDict", "Dropout1d", "Dropout2d", "Dropout3d",
            "PixelShuffle", "PixelUnshuffle", "Upsample", "UpsamplingNearest2d",
            "UpsamplingBilinear2d"]
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, GroupNorm  # noqa: F401,E402
from .padding import *  # noqa: F401,F403,E402
from . import padding as _padding  # noqa: E402
__all__ += ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm"] + _padding.__all__
