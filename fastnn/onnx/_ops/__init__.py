"""The ONNX operators fastnn's importer understands, one family per file.

Each operator is a function ``fn(node, inputs, attrs)``: ``node`` says which
opset, node and outputs are in play (``_common.NodeInfo``), ``inputs`` are
fastnn Tensors (None for an omitted optional input) and ``attrs`` the node's
attributes as Python values. It returns a Tensor or a tuple of Tensors, built
from fastnn's differentiable ops so that gradients reach the initializers.

An operator may also register ``check(attrs, opset, node)``: it runs when the
model is loaded, before anything executes, and refuses attribute values the
operator does not implement.

Families: elementwise (arithmetic, activations, comparisons, Cast), linalg
(Gemm, MatMul), conv (Conv, ConvTranspose), pool (pools, LRN), norm
(BatchNormalization, LayerNormalization, Dropout), shape (reshaping, slicing,
constants), reduce (Reduce*, Arg*, softmax family), rnn (LSTM, GRU, RNN),
resize (Resize, Upsample), more (the less common ones), loss
(SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss). If lives in
fastnn/onnx/_import.py, since it runs subgraphs.
"""
from ._common import OPS, CHECKS, NodeInfo  # noqa: F401
from . import elementwise, linalg, conv, pool, norm, shape, reduce  # noqa: F401,E402
from . import rnn, resize, more  # noqa: F401,E402
from . import loss  # noqa: F401,E402

__all__ = ["OPS", "CHECKS", "NodeInfo"]
