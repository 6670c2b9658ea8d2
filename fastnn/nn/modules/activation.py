"""Activation Modules: each forwards to the F function of the same (lower-case) name."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor

class ReLU(Module):
    """Applies the rectified linear unit elementwise: ``ReLU(x) = max(0, x)``.

    Args:
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.ReLU()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([0., 0., 0., 1., 3.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=True) if self.inplace else F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """Applies ``LeakyReLU(x) = max(0, x) + negative_slope * min(0, x)`` elementwise.

    Args:
        negative_slope (float): the slope for negative inputs. Default: ``1e-2``
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.LeakyReLU(0.1)(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.2000, -0.0500,  0.0000,  1.0000,  3.0000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        if self.inplace:
            return F.leaky_relu(input, self.negative_slope, inplace=True)
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """Applies the Gaussian error linear unit ``GELU(x) = x * Phi(x)`` elementwise.

    ``Phi`` is the standard normal CDF. With ``approximate='tanh'`` it is
    estimated as ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``.

    Args:
        approximate (str): ``'none'`` (exact, with erf) or ``'tanh'``.
            Default: ``'none'``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.GELU()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.0455, -0.1543,  0.0000,  0.8413,  2.9960])
        >>> nn.GELU(approximate="tanh")(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.0454, -0.1543,  0.0000,  0.8412,  2.9964])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        if self.approximate == "none":
            return F.gelu(input)
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """Applies the logistic function ``Sigmoid(x) = 1 / (1 + exp(-x))`` elementwise.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Sigmoid()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([0.1192, 0.3775, 0.5000, 0.7311, 0.9526])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """Applies the hyperbolic tangent elementwise.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Tanh()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.9640, -0.4621,  0.0000,  0.7616,  0.9951])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class ELU(Module):
    """Applies the exponential linear unit elementwise.

    ``ELU(x) = x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        alpha (float): the value approached for large negative inputs. Default: 1.0
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.ELU()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.8647, -0.3935,  0.0000,  1.0000,  3.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SiLU(Module):
    """Applies the sigmoid linear unit (swish) ``SiLU(x) = x * sigmoid(x)`` elementwise.

    Args:
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.SiLU()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.2384, -0.1888,  0.0000,  0.7311,  2.8577])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardtanh(Module):
    """Clamps each element to ``[min_val, max_val]``.

    Args:
        min_val (float): the lower bound. Default: -1.0
        max_val (float): the upper bound, greater than ``min_val``. Default: 1.0
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Hardtanh()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-1.0000, -0.5000,  0.0000,  1.0000,  1.0000])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        if self.inplace:
            return F.hardtanh(input, self.min_val, self.max_val, inplace=True)
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + \
            (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """Applies ``ReLU6(x) = min(max(0, x), 6)`` elementwise.

    Args:
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.ReLU6()(fastnn.tensor([-2.0, 0.5, 7.0]))
        tensor([0.0000, 0.5000, 6.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SELU(Module):
    """Applies the scaled ELU elementwise.

    ``SELU(x) = scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))`` with the
    self-normalising constants alpha = 1.6732632423543772 and
    scale = 1.0507009873554805.

    Args:
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.SELU()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-1.5202, -0.6918,  0.0000,  1.0507,  3.1521])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, inplace=True) if self.inplace else F.selu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """Applies ``Softplus(x) = log(1 + exp(beta * x)) / beta`` elementwise.

    A smooth approximation of ReLU; where ``beta * x > threshold`` it returns
    ``x`` itself, for numerical stability.

    Args:
        beta (float): the sharpness. Default: 1.0
        threshold (float): above this ``beta * x`` the function is linear.
            Default: 20.0

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Softplus()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([0.1269, 0.4741, 0.6931, 1.3133, 3.0486])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """Applies ``LogSigmoid(x) = log(1 / (1 + exp(-x)))`` elementwise, computed stably.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.LogSigmoid()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-2.1269, -0.9741, -0.6931, -0.3133, -0.0486])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Mish(Module):
    """Applies ``Mish(x) = x * tanh(softplus(x))`` elementwise.

    Args:
        inplace (bool): overwrite the input instead of allocating the output.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Mish()(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-0.2525, -0.2207,  0.0000,  0.8651,  2.9865])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=True) if self.inplace else F.mish(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """Applies ``Softmax(x_i) = exp(x_i) / sum_j exp(x_j)`` along ``dim``.

    The outputs lie in [0, 1] and sum to 1 along ``dim``. To feed NLLLoss, use
    LogSoftmax (or CrossEntropyLoss on the raw scores) instead: it is more
    accurate than the log of Softmax.

    Args:
        dim (int, optional): the dimension along which the values sum to 1.
            None (deprecated, warns) picks 0 for 0-, 1- and 3-D input, else 1.
            Default: ``None``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Softmax(dim=0)(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([0.0055, 0.0247, 0.0407, 0.1107, 0.8183])
        >>> nn.Softmax(dim=1)(fastnn.zeros(2, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500],
                [0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim if self.dim is not None else _implicit_dim("softmax", input.ndim)
        return F.softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Applies ``LogSoftmax(x_i) = x_i - log(sum_j exp(x_j))`` along ``dim``.

    Args:
        dim (int, optional): the dimension along which the values sum to 1.
            None (deprecated, warns) picks 0 for 0-, 1- and 3-D input, else 1.
            Default: ``None``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.LogSoftmax(dim=0)(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([-5.2005, -3.7005, -3.2005, -2.2005, -0.2005])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim if self.dim is not None else _implicit_dim("log_softmax", input.ndim)
        return F.log_softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """Applies ``Softmin(x) = Softmax(-x)`` along ``dim``.

    Args:
        dim (int, optional): the dimension along which the values sum to 1.
            None (deprecated, warns) picks 0 for 0-, 1- and 3-D input, else 1.
            Default: ``None``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> nn.Softmin(dim=0)(fastnn.tensor([-2.0, -0.5, 0.0, 1.0, 3.0]))
        tensor([0.7067, 0.1577, 0.0956, 0.0352, 0.0048])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim if self.dim is not None else _implicit_dim("softmin", input.ndim)
        return F.softmin(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "ELU", "SiLU", "Hardtanh", "ReLU6",
           "SELU", "Softplus", "LogSigmoid", "Mish", "Softmax", "Softmin", "LogSoftmax"]

# PyTorch's module path for it (torch.nn.modules.activation.MultiheadAttention).
from .attention import MultiheadAttention  # noqa: E402,F401
