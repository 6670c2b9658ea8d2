"""Identity and Linear (y = x W^T + b), PyTorch's layout and default initialisation."""
import math

from .. import init
from .module import Module
from ._utils import F, _empty_parameter, _place


class Identity(Module):
    """Returns its input unchanged; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ weight.T + bias, weight of shape (out_features, in_features).

    Default initialisation (PyTorch's): weight ~ kaiming_uniform_(a=sqrt(5)),
    i.e. U(-1/sqrt(in), 1/sqrt(in)); bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
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

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        # the parameter table, not self.weight: Module.__getattr__ runs only after a
        # failed normal lookup, a measurable share of a small layer's forward
        p = self._parameters
        if "weight" in p and "bias" in p:
            return F.linear(input, p["weight"], p["bias"])
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y[n, o] = x1[n] @ weight[o] @ x2[n] + bias[o], weight (out, in1, in2).

    weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as PyTorch.
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
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

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


__all__ = ["Identity", "Linear", "Bilinear"]
