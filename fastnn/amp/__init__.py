"""fastnn.amp: torch.amp's mixed-precision API, so training loops written for it run.

``autocast`` is a context manager and decorator. fastnn has no reduced-precision kernels,
so inside an *enabled* autocast region ops still compute in their inputs' precision (a
one-time warning says so: results are float32's, a little more accurate than PyTorch's
bfloat16/float16 ones); a disabled region (``enabled=False``, the common default in
example trainers) is exactly PyTorch's: nothing changes. ``GradScaler`` is the full
dynamic loss scaler (scale, unscale_, inf/nan check that skips the step, growth and
backoff), with PyTorch's defaults and state_dict."""
from .autocast_mode import autocast, is_autocast_available, is_autocast_enabled  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401

__all__ = ["autocast", "GradScaler", "is_autocast_available", "is_autocast_enabled"]
