"""fastnn.nn.utils: gradient clipping, parameter vectors, packed sequences (torch.nn.utils)."""
from . import rnn  # noqa: F401
from .clip_grad import (clip_grad_norm_, clip_grad_value_, get_total_norm,  # noqa: F401
                        clip_grads_with_norm_)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"]
from . import parametrize, parametrizations  # noqa: F401,E402
from .weight_norm import weight_norm, remove_weight_norm  # noqa: F401,E402
__all__ += ["parametrize", "parametrizations", "weight_norm", "remove_weight_norm"]
from .spectral_norm import (old_spectral_norm as spectral_norm,  # noqa: F401,E402
                            remove_spectral_norm)
__all__ += ["spectral_norm", "remove_spectral_norm"]
