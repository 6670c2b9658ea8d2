"""Optimizer updates on the GPU: the NumPy reference's functions, unchanged.

fastnn/backends/numpy_ref/optim.py is written with NumPy ufuncs (in place or
with ``out=``) and ``np.empty_like``; on cupy.ndarray arguments these calls
dispatch to CuPy (``__array_ufunc__`` / ``__array_function__``), so each
update runs as a few elementwise GPU kernels per parameter -- what fastnn's
optimizers did on the GPU before the native CPU kernels existed. A fused
CUDA kernel per group would be the GPU twin of fastnn/backends/native/optim.py.
Importing this module does not import CuPy.
"""
from ..numpy_ref.optim import adagrad_step, adam_step, adamw_step, rmsprop_step, sgd_step

__all__ = ["sgd_step", "adam_step", "adamw_step", "rmsprop_step", "adagrad_step"]
