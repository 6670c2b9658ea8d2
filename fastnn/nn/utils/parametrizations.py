"""torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations
(see weight_norm.py and spectral_norm.py)."""
from .spectral_norm import spectral_norm
from .weight_norm import parametrized_weight_norm as weight_norm

__all__ = ["weight_norm", "spectral_norm"]
