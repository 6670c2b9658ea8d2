"""fastnn: a small deep-learning framework with readable Cython/C kernels.

The public API follows PyTorch (``fastnn.tensor``, ``fastnn.nn``,
``fastnn.optim``, ``fastnn.utils.data``) for the subset it covers.
Submodules are imported on first use to keep ``import fastnn`` fast.
"""
import importlib as _importlib
import os as _os

# libgomp reads this once, when the first kernel module loads it. Idle OpenMP
# threads spin about as long as a futex wake-up costs, then sleep: a spinner on a
# shared core starves a working thread, a sleeper pays a wake-up per region, and
# spinning that long keeps both within twice the better choice. The user's own
# OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
if "OMP_WAIT_POLICY" not in _os.environ:
    _os.environ.setdefault("GOMP_SPINCOUNT", "1000")

__version__ = "0.1.0"

from ._threads import get_num_threads, set_num_threads  # noqa: E402,F401
from .backends import use_backend  # noqa: E402,F401
from .backends._validate import set_finite_checks  # noqa: E402,F401
from ._dtypes import *  # noqa: F401,F403,E402
from . import _threads as _threads_policy  # noqa: E402
from .backends.native import tuning as _tuning  # noqa: E402

# Freed activations stay in the process for the next step (fastnn/_memory.py).
from . import _memory  # noqa: E402
_memory.keep_freed_memory()

# Thread thresholds measured on this machine (python -m fastnn.bench --tune),
# put where the kernels read them before any of them runs.
_tuning.load()

# One pool computes: NumPy's BLAS goes to one thread while the native kernels
# are in use (fastnn/_threads.py explains why).
_threads_policy.apply_policy()

# Ctrl-C stops a running native kernel within a step: the SIGINT handler goes in
# now, at import on the main thread (backends/native/common/_interrupt.pyx).
try:
    # (a Cython extension: mypy sees no module there)
    from .backends.native.common import _interrupt as _sigint  # type: ignore[attr-defined]  # noqa: E402,F401
except ImportError:  # kernels not built: nothing to stop
    pass

_SUBMODULES: tuple[str, ...] = ("nn", "optim", "utils", "datasets", "io", "cuda", "bench", "autograd",
               "keras", "testing", "backends", "onnx", "graph", "distributed", "export")
_LAZY_ATTRS = {"save": "io", "load": "io", "summary": "nn", "compile": "compiler"}

from ._tensor import *  # noqa: F401,F403,E402
# The class, not the submodule of the same name (importing fastnn.device binds
# the submodule here first).
from .device import device  # noqa: E402,F401


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"fastnn.{name}")
    if name in _LAZY_ATTRS:
        return getattr(_importlib.import_module(f"fastnn.{_LAZY_ATTRS[name]}"), name)
    raise AttributeError(f"module 'fastnn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_ATTRS))

# PyTorch surface beyond fastnn.tensor: legacy constructors (FloatTensor, ...),
# diagonals, the generator API, sampling and small helpers; fastnn.serialization,
# fastnn.sparse and fastnn.accelerator load on first use.
from ._legacy import *  # noqa: F401,F403,E402
from ._diag import diag, diag_embed, diagonal, trace  # noqa: F401,E402
from .random import Generator, get_rng_state, initial_seed, seed, set_rng_state  # noqa: F401,E402
from ._compat import *  # noqa: F401,F403,E402
from ._sampling import bernoulli, multinomial  # noqa: F401,E402
_SUBMODULES += ("serialization", "sparse", "accelerator")  # noqa: E305
_LAZY_ATTRS.update(sparse_coo_tensor="sparse", spmm="sparse")
_SUBMODULES += ("distributions",)  # noqa: E305
_SUBMODULES += ("amp",)  # noqa: E305
_LAZY_ATTRS.update(autocast="amp", is_autocast_enabled="amp")
_SUBMODULES += ("multiprocessing",)  # noqa: E305
