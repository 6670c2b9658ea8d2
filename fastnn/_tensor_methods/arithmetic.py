"""Tensor arithmetic: the operators (+ - * / // % ** @), their named forms (add, mul,
matmul, ...), comparisons, elementwise math (exp, sigmoid, relu, ...) and clamp.

Each operator promotes its operands as PyTorch does (fastnn/_promotion.py), then calls
one Function from fastnn/ops/arithmetic.py. Comparisons and bit operations give
tensors outside the graph, as in PyTorch.
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from .. import _promotion
from .._promotion import _floatify, _promote, _raw, _result_dtype, _t
from ..ops import arithmetic as _ops_ar

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import Number, TensorLike

_Add = _ops_ar.Add.apply
_Sub = _ops_ar.Sub.apply
_Mul = _ops_ar.Mul.apply
_Div = _ops_ar.Div.apply
_Pow = _ops_ar.Pow.apply
_Neg = _ops_ar.Neg.apply
_Abs = _ops_ar.Abs.apply
_MatMul = _ops_ar.MatMul.apply


class ArithmeticMethods:
    __slots__ = ()

    # --- operators: t (op) other and other (op) t --------------------------------------
    def __add__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _Add(a, b)

    def __radd__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _Add(a, b)

    def __sub__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _Sub(a, b)

    def __rsub__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _Sub(a, b)

    def __mul__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _Mul(a, b)

    def __rmul__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _Mul(a, b)

    def __truediv__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other, true_div=True)
        return _Div(a, b)

    def __rtruediv__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other, true_div=True)
        return _Div(a, b)

    def __floordiv__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _ops_ar.FloorDivide.apply(a, b)

    def __rfloordiv__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _ops_ar.FloorDivide.apply(a, b)

    def __mod__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _ops_ar.Remainder.apply(a, b)

    def __rmod__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _ops_ar.Remainder.apply(a, b)

    def __pow__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _Pow(a, b)

    def __rpow__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _Pow(a, b)

    def __matmul__(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _MatMul(a, b)

    def __rmatmul__(self: Tensor, other: TensorLike) -> Tensor:
        b, a = _promote(self, other)
        return _MatMul(a, b)

    def __neg__(self: Tensor) -> Tensor:
        return _Neg(self)

    def __pos__(self: Tensor) -> Tensor:
        return self

    def __abs__(self: Tensor) -> Tensor:
        return _Abs(self)

    def __invert__(self: Tensor) -> Tensor:
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (bitwise not) is only defined for bool and integer tensors")
        return Tensor._wrap(~self._data)

    def __and__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(self._data & _raw(other))

    def __or__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(self._data | _raw(other))

    def __xor__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(self._data ^ _raw(other))

    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__

    # --- named forms -------------------------------------------------------------------
    def add(self: Tensor, other: TensorLike, alpha: Number = 1) -> Tensor:
        """Adds ``other``, scaled by ``alpha``, to this tensor: ``self + alpha * other``.

        Args:
            other (Tensor or Number): the tensor or number to add (broadcast).
            alpha (Number): the multiplier for ``other``. Default: 1.

        Example::

            >>> a = fastnn.tensor([1.0, 2.0])
            >>> a.add(fastnn.tensor([10.0, 20.0]), alpha=2)
            tensor([21., 42.])
        """
        return self + (other * alpha if alpha != 1 else other)  # type: ignore[operator]

    def sub(self: Tensor, other: TensorLike, alpha: Number = 1) -> Tensor:
        return self - (other * alpha if alpha != 1 else other)  # type: ignore[operator]

    def mul(self: Tensor, other: TensorLike) -> Tensor:
        return self * other

    def div(self: Tensor, other: TensorLike, rounding_mode: Optional[str] = None) -> Tensor:
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self // other
        if rounding_mode == "trunc":
            q = self / other
            return _ops_ar.ZeroGrad.apply(q, np.trunc).to(_result_dtype(self, other))
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")

    def pow(self: Tensor, exponent: TensorLike) -> Tensor:
        return self ** exponent

    def remainder(self: Tensor, other: TensorLike) -> Tensor:
        return self % other

    def matmul(self: Tensor, other: TensorLike) -> Tensor:
        """Matrix product with ``other``, as ``self @ other`` (NumPy's broadcasting rules).

        Args:
            other (Tensor): the right operand; 1-D operands are vectors.

        Example::

            >>> a = fastnn.ones(2, 3)
            >>> b = fastnn.ones(3, 4)
            >>> a.matmul(b).shape
            (2, 4)
            >>> (a @ b)[0, 0].item()
            3.0
        """
        return self @ other

    def mm(self: Tensor, other: Tensor) -> Tensor:
        if self._data.ndim != 2 or _raw(other).ndim != 2:
            raise RuntimeError("mm: both arguments must be 2-D")
        return self @ other

    def bmm(self: Tensor, other: Tensor) -> Tensor:
        if self._data.ndim != 3 or _raw(other).ndim != 3:
            raise RuntimeError("bmm: both arguments must be 3-D")
        return self @ other

    def dot(self: Tensor, other: Tensor) -> Tensor:
        return (self * other).sum()

    def outer(self: Tensor, vec2: TensorLike) -> Tensor:
        return self.reshape(-1, 1) * _t(vec2).reshape(1, -1)

    def maximum(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _ops_ar.Maximum.apply(a, b)

    def minimum(self: Tensor, other: TensorLike) -> Tensor:
        a, b = _promote(self, other)
        return _ops_ar.Minimum.apply(a, b)

    # --- comparisons (bool tensors, no graph) -------------------------------------------
    def __eq__(self: Tensor, other: object) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(np.asarray(self._data == _raw(other)))

    def __ne__(self: Tensor, other: object) -> Tensor:  # type: ignore[override]
        return Tensor._wrap(np.asarray(self._data != _raw(other)))

    def __lt__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(np.asarray(self._data < _raw(other)))

    def __le__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(np.asarray(self._data <= _raw(other)))

    def __gt__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(np.asarray(self._data > _raw(other)))

    def __ge__(self: Tensor, other: TensorLike) -> Tensor:
        return Tensor._wrap(np.asarray(self._data >= _raw(other)))

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    def equal(self: Tensor, other: TensorLike) -> bool:
        o = _raw(other)
        return self._data.shape == np.shape(o) and bool((self._data == o).all())

    def allclose(self: Tensor, other: TensorLike, rtol: float = 1e-5, atol: float = 1e-8,
                 equal_nan: bool = False) -> bool:
        return bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isnan(self: Tensor) -> Tensor:
        return Tensor._wrap(np.isnan(self._data))

    def isinf(self: Tensor) -> Tensor:
        return Tensor._wrap(np.isinf(self._data))

    def isfinite(self: Tensor) -> Tensor:
        return Tensor._wrap(np.isfinite(self._data))

    # --- unary math (ints and bools compute in the default float dtype) -----------------
    def exp(self: Tensor) -> Tensor:
        """``e ** x`` elementwise (integer tensors give the default float dtype).

        Example::

            >>> fastnn.tensor([0.0, 1.0]).exp()
            tensor([1.0000, 2.7183])
        """
        return _ops_ar.Exp.apply(_floatify(self))

    def log(self: Tensor) -> Tensor:
        return _ops_ar.Log.apply(_floatify(self))

    def log1p(self: Tensor) -> Tensor:
        return (self + 1).log() if self.requires_grad else Tensor._wrap(np.log1p(_floatify(self)._data))

    def sqrt(self: Tensor) -> Tensor:
        return _ops_ar.Sqrt.apply(_floatify(self))

    def rsqrt(self: Tensor) -> Tensor:
        return 1 / self.sqrt()

    def abs(self: Tensor) -> Tensor:
        return _Abs(self)

    def neg(self: Tensor) -> Tensor:
        return _Neg(self)

    negative = neg

    def sin(self: Tensor) -> Tensor:
        return _ops_ar.Sin.apply(_floatify(self))

    def cos(self: Tensor) -> Tensor:
        return _ops_ar.Cos.apply(_floatify(self))

    def sigmoid(self: Tensor) -> Tensor:
        """``1 / (1 + exp(-x))`` elementwise.

        Example::

            >>> fastnn.tensor([0.0, 2.0]).sigmoid()
            tensor([0.5000, 0.8808])
        """
        return _ops_ar.Sigmoid.apply(_floatify(self))

    def tanh(self: Tensor) -> Tensor:
        return _ops_ar.Tanh.apply(_floatify(self))

    def relu(self: Tensor) -> Tensor:
        """Replaces negative elements by zero: ``max(x, 0)`` elementwise.

        Example::

            >>> fastnn.tensor([-1.0, 0.5, 2.0]).relu()
            tensor([0.0000, 0.5000, 2.0000])
        """
        return _ops_ar.Relu.apply(self)

    def reciprocal(self: Tensor) -> Tensor:
        return 1 / self

    def square(self: Tensor) -> Tensor:
        return self * self

    def sign(self: Tensor) -> Tensor:
        return _ops_ar.ZeroGrad.apply(self, np.sign)

    def floor(self: Tensor) -> Tensor:
        return _ops_ar.ZeroGrad.apply(self, np.floor)

    def ceil(self: Tensor) -> Tensor:
        return _ops_ar.ZeroGrad.apply(self, np.ceil)

    def trunc(self: Tensor) -> Tensor:
        return _ops_ar.ZeroGrad.apply(self, np.trunc)

    def round(self: Tensor, decimals: int = 0) -> Tensor:
        return _ops_ar.ZeroGrad.apply(self, np.round if decimals == 0 else
                                      (lambda a: np.round(a, decimals)))

    def clamp(self: Tensor, min: Optional[TensorLike] = None,
              max: Optional[TensorLike] = None) -> Tensor:
        """Clamps every element into ``[min, max]``; either bound may be left out.

        Args:
            min (Number or Tensor, optional): the lower bound. Default: None.
            max (Number or Tensor, optional): the upper bound. Default: None.

        Example::

            >>> fastnn.tensor([-2.0, 0.5, 3.0]).clamp(min=-1, max=1)
            tensor([-1.0000,  0.5000,  1.0000])
        """
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = out.maximum(min)
            if max is not None:
                out = out.minimum(max)
            return out
        if self._data.dtype.kind in "iub" and any(isinstance(v, float) for v in (min, max)):
            return _ops_ar.Clamp.apply(self.to(_promotion._default_dtype), min=min, max=max)
        return _ops_ar.Clamp.apply(self, min=min, max=max)

    clip = clamp

    def clamp_min(self: Tensor, min: TensorLike) -> Tensor:
        return self.clamp(min=min)

    def clamp_max(self: Tensor, max: TensorLike) -> Tensor:
        return self.clamp(max=max)
