"""fastnn as an ONNX backend (``onnx.backend.base.Backend``), so the ONNX
project's own conformance cases (``onnx.backend.test``) can run on the
importer: ``prepare`` loads the model with ``fastnn.onnx.load`` and ``run``
feeds NumPy arrays through it and returns NumPy arrays.

    from fastnn.onnx.backend import FastnnBackend
    rep = FastnnBackend.prepare(model_proto)
    outputs = rep.run([x])
"""
import numpy as np
from onnx import TensorProto, numpy_helper
from onnx.backend.base import Backend, BackendRep

from ..autograd import grad_mode
from .._tensor import Tensor
from ._import import load

__all__ = ["FastnnBackend", "FastnnRep", "prepare", "run_model", "supports_device"]


def _tensor(a):
    """A TensorProto as an array; anything else (arrays, sequences) as it is."""
    return numpy_helper.to_array(a) if isinstance(a, TensorProto) else a


def _array(a):
    if isinstance(a, (list, tuple, dict)):
        raise TypeError("fastnn's ONNX import takes tensors only, not sequences or maps")
    return np.asarray(_tensor(a))


class FastnnRep(BackendRep):
    def __init__(self, module):
        self.module = module

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            inputs = [inputs[n] for n in self.module.input_names]
        elif not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        with grad_mode.no_grad():
            out = self.module(*[_array(a) for a in inputs])
        if not isinstance(out, tuple):
            out = (out,)
        return tuple(np.asarray(o._data) if isinstance(o, Tensor) else np.asarray(o) for o in out)


class FastnnBackend(Backend):
    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        super().prepare(model, device, **kwargs)
        return FastnnRep(load(model))

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def supports_device(cls, device):
        return device == "CPU"


prepare = FastnnBackend.prepare
run_model = FastnnBackend.run_model
supports_device = FastnnBackend.supports_device


# --- the ONNX conformance cases for the operators the importer covers ----------------------
COVERED_OPS = (
    "Conv ConvTranspose MaxPool AveragePool GlobalAveragePool GlobalMaxPool Gemm MatMul "
    "BatchNormalization LayerNormalization LRN Relu LeakyRelu Sigmoid Tanh Softmax LogSoftmax "
    "Elu Selu Gelu HardSigmoid Softplus Erf Add Sub Mul Div Pow Sqrt Exp Log Neg Abs Sum Clip "
    "Where Equal Reshape Flatten Transpose Concat Split Slice Squeeze Unsqueeze Gather Expand "
    "Tile Pad ReduceMean ReduceSum ReduceMax ArgMax Shape Identity Constant ConstantOfShape "
    "Dropout LSTM GRU RNN").split()


# what the importer has beyond that list (exporters emit these around the main ops)
EXTRA_OPS = (
    "Resize Upsample If Cast CastLike Max Min Mean Reciprocal Floor Ceil Less Greater "
    "LessOrEqual GreaterOrEqual And Or Not PRelu HardSwish ReduceMin ReduceProd "
    "ReduceSumSquare ReduceL2 ArgMin Size Range Sign Sin Cos Softsign Mish ThresholdedRelu Celu "
    "InstanceNormalization GroupNormalization DepthToSpace SpaceToDepth GatherElements Einsum "
    "Trilu TopK CumSum "
    # the ones fastnn's own exporter writes
    "ReduceL1 ReduceLogSum ReduceLogSumExp Round SoftmaxCrossEntropyLoss "
    "NegativeLogLikelihoodLoss").split()


def conformance_cases(op_types=COVERED_OPS):
    """{op_type: [TestCase]}: onnx.backend.test's node cases that test one of
    ``op_types`` alone (a single-node graph; the '_expanded' variants, which
    test the ops a function expands into, are left out)."""
    from onnx.backend.test.loader import load_node_model_tests
    wanted = set(op_types)
    out = {op: [] for op in op_types}
    for case in load_node_model_tests():
        nodes = case.model.graph.node
        if "_expanded" in case.name or len(nodes) != 1 or nodes[0].op_type not in wanted:
            continue
        out[nodes[0].op_type].append(case)
    return out


def check_case(case):
    """Run one node case on fastnn; None when it passes, else the error text."""
    from onnx.backend.test.runner import Runner
    try:
        rep = FastnnBackend.prepare(case.model)
        for inputs, expected in case.data_sets:
            got = rep.run([_tensor(a) for a in inputs])
            Runner.assert_similar_outputs([_tensor(e) for e in expected], list(got),
                                          rtol=case.rtol, atol=case.atol)
    except Exception as e:  # noqa: BLE001 - any failure is a failed case
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    return None
