"""Reverse-mode automatic differentiation: Function, the graph walk, grad mode, gradcheck."""
from .function import Function, run_backward  # noqa: F401
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck  # noqa: F401
from .custom_function import once_differentiable  # noqa: F401,E402
from .variable import Variable  # noqa: F401,E402
