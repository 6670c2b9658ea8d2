"""Identity, Linear (y = x W^T + b) and Bilinear, PyTorch's layout and default initialisation."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _place

if TYPE_CHECKING:
    from ..._tensor import Tensor


class Identity(Module):
    """A placeholder layer that returns its input unchanged.

    Useful to switch a layer off without changing a model's structure.

    Args:
        args: any positional arguments (ignored).
        kwargs: any keyword arguments (ignored).

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input itself.

    Example::

        >>> m = nn.Identity(54, unused_argument1=0.1)
        >>> x = fastnn.ones(128, 20)
        >>> m(x) is x
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Applies an affine transformation to the last dimension: ``y = x @ weight.T + bias``.

    Args:
        in_features (int): size of each input sample (the last dimension).
        out_features (int): size of each output sample.
        bias (bool): learn an additive bias. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters.
            Default: ``fastnn.get_default_dtype()`` (float32)

    Shape:
        - Input: :math:`(*, H_{in})`, any number of leading dimensions (or none),
          :math:`H_{in}` = ``in_features``.
        - Output: :math:`(*, H_{out})`, the leading dimensions of the input,
          :math:`H_{out}` = ``out_features``.

    Attributes:
        weight (Parameter): shape ``(out_features, in_features)``, initialised from
            U(-sqrt(k), sqrt(k)) with k = 1 / in_features (PyTorch's
            ``kaiming_uniform_(a=sqrt(5))``).
        bias (Parameter): shape ``(out_features,)``, from U(-sqrt(k), sqrt(k)); None
            when ``bias=False``.

    Example::

        >>> m = nn.Linear(20, 30)
        >>> m(fastnn.randn(128, 20)).shape
        (128, 30)
        >>> m.weight.shape, m.bias.shape
        ((30, 20), (30,))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        what = f"Linear: in_features={in_features}, out_features={out_features}"
        self.weight = _empty_parameter((out_features, in_features), dtype, what=what)
        if bias:
            self.bias = _empty_parameter((out_features,), dtype, what=what)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self) -> None:
        """Draw weight and bias again from their initial distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        # the parameter table, not self.weight: Module.__getattr__ runs only after a
        # failed normal lookup, a measurable share of a small layer's forward
        p = self._parameters
        if "weight" in p and "bias" in p:
            return F.linear(input, p["weight"], p["bias"])  # type: ignore[arg-type]  # both set above
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """Applies a bilinear transformation: ``y[n, o] = x1[n] @ weight[o] @ x2[n] + bias[o]``.

    Args:
        in1_features (int): size of each first input sample.
        in2_features (int): size of each second input sample.
        out_features (int): size of each output sample.
        bias (bool): learn an additive bias. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters.
            Default: float32

    Shape:
        - Input1: :math:`(*, H_{in1})`, :math:`H_{in1}` = ``in1_features``.
        - Input2: :math:`(*, H_{in2})`, the same leading dimensions,
          :math:`H_{in2}` = ``in2_features``.
        - Output: :math:`(*, H_{out})`, :math:`H_{out}` = ``out_features``.

    Attributes:
        weight (Parameter): shape ``(out_features, in1_features, in2_features)``,
            from U(-sqrt(k), sqrt(k)) with k = 1 / in1_features.
        bias (Parameter): shape ``(out_features,)``, from the same distribution;
            None when ``bias=False``.

    Example::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(fastnn.randn(128, 20), fastnn.randn(128, 30)).shape
        (128, 40)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        what = (f"Bilinear: in1_features={in1_features}, in2_features={in2_features}, "
                f"out_features={out_features}")
        self.weight = _empty_parameter((out_features, in1_features, in2_features), dtype,
                                       what=what)
        if bias:
            self.bias = _empty_parameter((out_features,), dtype, what=what)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        _place(self, device)

    def reset_parameters(self) -> None:
        """Draw weight and bias again from their initial distributions."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


__all__ = ["Identity", "Linear", "Bilinear"]
