"""fastnn: a small deep-learning framework with readable Cython/C kernels.

The public API follows PyTorch (``fastnn.tensor``, ``fastnn.nn``,
``fastnn.optim``, ``fastnn.utils.data``) for the subset it covers.
Submodules are imported on first use to keep ``import fastnn`` fast.
"""
import importlib as _importlib
import os as _os

# libgomp reads these once, when the first native kernel module loads it. Idle
# OpenMP threads spin for a short while (GOMP_SPINCOUNT=30000, about a
# millisecond here; libgomp's own default is 10x that), then sleep. Sleeping at
# once (OMP_WAIT_POLICY=PASSIVE, fastnn's earlier default) made every parallel
# region pay a wake-up of ~100 us on the 2-core VM: a 2-thread 1->32 conv
# forward+backward step took 1.13 ms instead of 0.83. PyTorch's libgomp reads
# the same variables when torch is imported after fastnn, so PASSIVE also
# slowed torch (its 2-thread batch-1 CNN inference: 0.90 ms instead of 0.18).
# A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
if "OMP_WAIT_POLICY" not in _os.environ:
    _os.environ.setdefault("GOMP_SPINCOUNT", "30000")
# OpenBLAS (NumPy's BLAS) reads this when NumPy loads, so it only applies when
# fastnn is imported first: its threads otherwise spin long after each call and
# hold the second core while the next native kernel runs (a 2-thread conv right
# after one np.matmul measured 11.5 -> 20 ms on the 2-core Xeon). With it, a
# native GEMM interleaved with np.matmul on 2 threads is no slower than on one
# (tests/backends/test_threads.py), whatever OMP_WAIT_POLICY says.
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
