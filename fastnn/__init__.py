"""fastnn: a small deep-learning framework with readable Cython/C kernels.

The public API follows PyTorch (``fastnn.tensor``, ``fastnn.nn``,
``fastnn.optim``, ``fastnn.utils.data``) for the subset it covers.
Submodules are imported on first use to keep ``import fastnn`` fast.
"""
import importlib as _importlib
import os as _os

# libgomp reads this once, when the first native kernel module loads it. Idle
# OpenMP threads then sleep instead of spinning, so they do not steal the cores
# from NumPy's BLAS pool (or from other processes) between kernels: with the
# default spinning, a native GEMM interleaved with np.matmul on 2 cores ran up
# to ~70x slower (tests/backends/test_threads.py). A user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# The same for OpenBLAS (NumPy's BLAS), which reads it when NumPy loads, so it
# only applies when fastnn is imported first: its threads otherwise spin after
# each call and hold the second core while the next native kernel runs (a 2-thread
# conv right after one np.matmul measured 11.5 -> 20 ms on the 2-core Xeon).
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__version__ = "0.1.0"

from ._threads import get_num_threads, set_num_threads  # noqa: E402
from .backends import use_backend  # noqa: E402
from .backends._validate import set_finite_checks  # noqa: E402
from ._dtypes import *  # noqa: F401,F403,E402

_SUBMODULES = ("nn", "optim", "utils", "datasets", "io", "cuda", "bench", "autograd",
               "keras", "testing", "backends")
_LAZY_ATTRS = {"save": "io", "load": "io", "summary": "nn"}

from .tensor import *  # noqa: F401,F403,E402
# The class, not the submodule of the same name (importing fastnn.device binds
# the submodule here first).
from .device import device  # noqa: E402


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"fastnn.{name}")
    if name in _LAZY_ATTRS:
        return getattr(_importlib.import_module(f"fastnn.{_LAZY_ATTRS[name]}"), name)
    raise AttributeError(f"module 'fastnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_ATTRS))
