"""torch.nn.utils.parametrizations: weight_norm as a parametrization (see weight_norm.py)."""
from .weight_norm import parametrized_weight_norm as weight_norm

__all__ = ["weight_norm"]
