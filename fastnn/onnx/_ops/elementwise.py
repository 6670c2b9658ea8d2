"""Elementwise ONNX operators: arithmetic with NumPy broadcasting, activations,
comparisons, Clip, Where, Cast. Floating-point paths use fastnn's differentiable
ops; integer and boolean paths (indices, masks, shape arithmetic) use NumPy,
where no gradient can flow anyway."""
import math

import numpy as np

from ...autograd.function import Function
from ...nn import functional as F
from ...ops import arithmetic as _ar
from ...ops.nn import erf as _erf_np
from ..._tensor import where as _where
from ._common import register, arr, const, is_float, as_str, unsupported


def _float_op(fn, np_fn):
    """fn on floating tensors (differentiable), np_fn on the arrays otherwise."""
    def run(node, inputs, attrs):
        if all(is_float(t) for t in inputs):
            return fn(*inputs)
        out = np_fn(*[arr(t) for t in inputs])
        return const(np.asarray(out).astype(arr(inputs[0]).dtype, copy=False))
    return run


def _int_div(a, b):
    q = np.trunc(a / np.where(b == 0, 1, b)) if a.dtype.kind in "iu" else a / b
    return q.astype(a.dtype)


register("Add")(_float_op(lambda a, b: a + b, np.add))
register("Sub")(_float_op(lambda a, b: a - b, np.subtract))
register("Mul")(_float_op(lambda a, b: a * b, np.multiply))
register("Div")(_float_op(lambda a, b: a / b, _int_div))
register("Neg")(_float_op(lambda a: -a, np.negative))
register("Abs")(_float_op(lambda a: a.abs(), np.abs))
register("Sqrt")(_float_op(lambda a: a.sqrt(), np.sqrt))
register("Exp")(_float_op(lambda a: a.exp(), np.exp))
register("Log")(_float_op(lambda a: a.log(), np.log))
register("Reciprocal")(_float_op(lambda a: 1.0 / a, np.reciprocal))
register("Max")(_float_op(lambda *t: _fold(_ar.Maximum.apply, t), lambda *a: _fold(np.maximum, a)))
register("Min")(_float_op(lambda *t: _fold(_ar.Minimum.apply, t), lambda *a: _fold(np.minimum, a)))
register("Floor")(_float_op(lambda a: a.floor(), np.floor))
register("Ceil")(_float_op(lambda a: a.ceil(), np.ceil))


def _fold(f, items):
    out = items[0]
    for t in items[1:]:
        out = f(out, t)
    return out


@register("Sum")
def _sum(node, inputs, attrs):
    return _float_op(lambda *t: _fold(lambda a, b: a + b, t),
                     lambda *a: _fold(np.add, a))(node, inputs, attrs)


@register("Mean")
def _mean(node, inputs, attrs):
    return _fold(lambda a, b: a + b, inputs) / float(len(inputs))


@register("Pow")
def _pow(node, inputs, attrs):
    base, exp = inputs
    if is_float(base):
        if not is_float(exp):
            exp = const(arr(exp).astype(arr(base).dtype))
        elif arr(exp).dtype != arr(base).dtype:
            exp = _ar.Cast.apply(exp, arr(base).dtype)
        return base ** exp
    a, e = arr(base), arr(exp)
    return const(np.power(a.astype(np.float64), e.astype(np.float64)).astype(a.dtype))


# --- comparisons and selection (no gradient through the condition) --------------------------
def _compare(np_fn):
    def run(node, inputs, attrs):
        return const(np_fn(arr(inputs[0]), arr(inputs[1])))
    return run


register("Equal")(_compare(np.equal))
register("Less")(_compare(np.less))
register("Greater")(_compare(np.greater))
register("LessOrEqual")(_compare(np.less_equal))
register("GreaterOrEqual")(_compare(np.greater_equal))
register("And")(_compare(np.logical_and))
register("Or")(_compare(np.logical_or))


@register("Not")
def _not(node, inputs, attrs):
    return const(np.logical_not(arr(inputs[0])))


@register("Where")
def _where_op(node, inputs, attrs):
    cond, a, b = inputs
    if is_float(a) and is_float(b):
        return _where(cond, a, b)
    return const(np.where(arr(cond), arr(a), arr(b)))


@register("Clip")
def _clip(node, inputs, attrs):
    x = inputs[0]
    if node.opset < 11:
        lo, hi = attrs.get("min"), attrs.get("max")
    else:
        lo = arr(inputs[1]).item() if len(inputs) > 1 and inputs[1] is not None else None
        hi = arr(inputs[2]).item() if len(inputs) > 2 and inputs[2] is not None else None
    if lo is None and hi is None:
        return x
    if is_float(x):
        return x.clamp(lo, hi)
    a = arr(x)
    if lo is not None:
        a = np.maximum(a, lo)
    if hi is not None:
        a = np.minimum(a, hi)
    return const(a.astype(arr(x).dtype))


# --- activations --------------------------------------------------------------------------
class _Erf(Function):
    """erf with its derivative 2/sqrt(pi) exp(-x^2); the value comes from the same
    erf fastnn's exact GELU uses."""

    def forward(self, x):
        self.x = x
        return _erf_np(x)

    def backward(self, g):
        return g * (2.0 / math.sqrt(math.pi)) * np.exp(-self.x * self.x).astype(g.dtype)


register("Relu")(_float_op(F.relu, lambda a: np.maximum(a, 0)))
register("Sigmoid")(lambda node, inputs, attrs: inputs[0].sigmoid())
register("Tanh")(lambda node, inputs, attrs: inputs[0].tanh())
register("Erf")(_float_op(_Erf.apply, lambda a: _erf_np(a.astype(np.float64))))


@register("LeakyRelu")
def _leaky(node, inputs, attrs):
    return F.leaky_relu(inputs[0], float(attrs.get("alpha", 0.01)))


@register("Elu")
def _elu(node, inputs, attrs):
    return F.elu(inputs[0], float(attrs.get("alpha", 1.0)))


@register("Selu")
def _selu(node, inputs, attrs):
    alpha = float(attrs.get("alpha", 1.67326319217681884765625))
    gamma = float(attrs.get("gamma", 1.05070102214813232421875))
    return F.elu(inputs[0], alpha) * gamma


def _check_gelu(attrs, opset, node):
    if as_str(attrs.get("approximate", "none")) not in ("none", "tanh"):
        raise unsupported(node, f"approximate={as_str(attrs['approximate'])!r} is not supported")


@register("Gelu", check=_check_gelu)
def _gelu(node, inputs, attrs):
    return F.gelu(inputs[0], as_str(attrs.get("approximate", "none")))


@register("HardSigmoid")
def _hard_sigmoid(node, inputs, attrs):
    alpha, beta = float(attrs.get("alpha", 0.2)), float(attrs.get("beta", 0.5))
    return (inputs[0] * alpha + beta).clamp(0.0, 1.0)


@register("HardSwish")
def _hard_swish(node, inputs, attrs):
    x = inputs[0]
    return x * (x * (1.0 / 6.0) + 0.5).clamp(0.0, 1.0)


@register("Softplus")
def _softplus(node, inputs, attrs):
    return F.softplus(inputs[0])


@register("PRelu")
def _prelu(node, inputs, attrs):
    x, slope = inputs
    return _where(x._data >= 0, x, x * slope)


# --- dtype --------------------------------------------------------------------------------
def _np_dtype(onnx_type):
    from onnx import helper
    return np.dtype(helper.tensor_dtype_to_np_dtype(int(onnx_type)))


# The types a Cast may produce: NumPy's own. ONNX's 8-, 4- and 2-bit floats and
# ints (ml_dtypes arrays) convert *from* exactly, but rounding and saturating
# into them is theirs, which fastnn does not model
_CAST_TYPES = {np.dtype(t) for t in ("float16", "float32", "float64", "int8", "int16", "int32",
                                     "int64", "uint8", "uint16", "uint32", "uint64", "bool")}


def _check_cast(attrs, opset, node):
    try:
        dt = _np_dtype(attrs["to"])
    except Exception:
        raise unsupported(node, f"Cast to ONNX type {attrs.get('to')} is not supported") from None
    if dt not in _CAST_TYPES:
        raise unsupported(node, f"Cast to {dt} is not supported")


@register("Cast", check=_check_cast)
def _cast(node, inputs, attrs):
    x, dt = inputs[0], _np_dtype(attrs["to"])
    if arr(x).dtype == dt:
        return x
    if is_float(x) and dt.kind == "f":
        return _ar.Cast.apply(x, dt)
    return const(arr(x).astype(dt))


@register("CastLike")
def _cast_like(node, inputs, attrs):
    x, dt = inputs[0], arr(inputs[1]).dtype
    if dt not in _CAST_TYPES:
        raise unsupported(node, f"CastLike to {dt} is not supported")
    if arr(x).dtype == dt:
        return x
    if is_float(x) and dt.kind == "f":
        return _ar.Cast.apply(x, dt)
    return const(arr(x).astype(dt))
