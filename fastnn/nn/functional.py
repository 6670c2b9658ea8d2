"""fastnn.nn.functional: PyTorch's torch.nn.functional names, arguments and defaults.

Each differentiable op is a Function in fastnn/ops (or a composition of Tensor
ops) whose forward calls a backend kernel, so ``fastnn.use_backend("numpy")``
switches every call here to the reference. The functions live in
fastnn/nn/_functional/, one family per file; this module re-exports them (the
same function objects, no wrapper layer).
"""
from ._functional.activation import (elu, gelu, hardtanh, leaky_relu, log_softmax,  # noqa: F401
                                     logsigmoid, mish, relu, relu6, relu_, selu, sigmoid, silu,
                                     softmax, softmin, softplus, tanh)
from ._functional.attention import scaled_dot_product_attention  # noqa: F401
from ._functional.channels import (dropout1d, dropout2d, dropout3d, pixel_shuffle,  # noqa: F401
                                   pixel_unshuffle)
from ._functional.conv import conv1d, conv2d  # noqa: F401
from ._functional.conv_transpose import conv_transpose1d, conv_transpose2d  # noqa: F401
from ._functional.distance import cosine_similarity  # noqa: F401
from ._functional.dropout import dropout  # noqa: F401
from ._functional.embedding import embedding, one_hot  # noqa: F401
from ._functional.group_norms import group_norm, instance_norm  # noqa: F401
from ._functional.interpolate import (interpolate, upsample, upsample_bilinear,  # noqa: F401
                                      upsample_nearest)
from ._functional.linear import bilinear, linear  # noqa: F401
from ._functional.loss_classification import (binary_cross_entropy,  # noqa: F401
                                              binary_cross_entropy_with_logits, cross_entropy,
                                              kl_div, nll_loss)
from ._functional.loss_regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss  # noqa: F401
from ._functional.multi_head_attention import multi_head_attention_forward  # noqa: F401
from ._functional.normalization import batch_norm, layer_norm, normalize  # noqa: F401
from ._functional.pooling import (adaptive_avg_pool2d, avg_pool2d, max_pool1d,  # noqa: F401
                                  max_pool2d)
from ._functional.shape import flatten, pad  # noqa: F401

__all__ = [
    "linear", "bilinear", "conv1d", "conv2d", "max_pool2d", "max_pool1d", "avg_pool2d",
    "adaptive_avg_pool2d", "relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "silu", "mish",
    "gelu", "sigmoid", "tanh", "hardtanh", "softplus", "logsigmoid", "softmax", "log_softmax",
    "softmin", "dropout", "batch_norm", "layer_norm", "embedding", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "pad", "one_hot", "flatten", "normalize",
    "cosine_similarity", "interpolate", "upsample", "conv_transpose1d", "conv_transpose2d",
    "scaled_dot_product_attention", "pixel_shuffle", "pixel_unshuffle", "dropout1d", "dropout2d",
    "dropout3d", "upsample_nearest", "upsample_bilinear", "multi_head_attention_forward",
    "instance_norm", "group_norm",
]
