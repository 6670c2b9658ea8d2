"""Kernel backends and the registry that picks one.

A backend is a package with one module per kernel family (``gemm``, ``conv``,
``pool``, ``elementwise``, ``rnn``, ``optim``); every backend's family module exports the
same function names with the same signatures:

* ``numpy``  -- ``fastnn.backends.numpy_ref``: the reference, readable NumPy.
* ``native`` -- ``fastnn.backends.native``: Cython/C kernels (default on CPU).
* ``cupy``   -- ``fastnn.backends.cupy``: the GPU backend (optional).

Callers ask ``get_backend(array)`` for the backend that owns ``array`` and call
kernels as attributes: ``get_backend(x).conv2d_forward(x, w, b, ...)``.
"""
import importlib
from .. import _threads

FAMILIES = ("gemm", "conv", "pool", "elementwise", "rnn", "optim")
_PACKAGES = {
    "numpy": "fastnn.backends.numpy_ref",
    "native": "fastnn.backends.native",
    "cupy": "fastnn.backends.cupy",
}
CPU_BACKENDS = ("numpy", "native")


class Backend:
    """Kernel functions of one backend, looked up by name across its families."""

    def __init__(self, name):
        self.name = name
        self.package = _PACKAGES[name]
        self._modules = None

    def family_modules(self):
        if self._modules is None:
            mods = {}
            for fam in FAMILIES:
                try:
                    mods[fam] = importlib.import_module(f"{self.package}.{fam}")
                except ModuleNotFoundError as exc:
                    # A family that does not exist yet in this backend is skipped;
                    # a family whose own imports fail is a real error.
                    if exc.name != f"{self.package}.{fam}":
                        raise
            self._modules = mods
        return self._modules

    def kernel_names(self):
        names = set()
        for mod in self.family_modules().values():
            names.update(getattr(mod, "__all__", ()))
        return sorted(names)

    def __getattr__(self, fname):
        if fname.startswith("_"):
            raise AttributeError(fname)
        for mod in self.family_modules().values():
            fn = getattr(mod, fname, None)
            if fn is not None and fname in getattr(mod, "__all__", (fname,)):
                setattr(self, fname, fn)  # cache: later lookups skip __getattr__
                return fn
        raise AttributeError(f"backend {self.name!r} has no kernel {fname!r}")

    def __repr__(self):
        return f"<fastnn backend {self.name!r}>"


_backends = {}
_current_cpu = None


def backend(name):
    """The Backend object called ``name`` ('numpy', 'native' or 'cupy')."""
    if name not in _PACKAGES:
        raise ValueError(f"unknown backend {name!r}; expected one of {sorted(_PACKAGES)}")
    if name not in _backends:
        _backends[name] = Backend(name)
    return _backends[name]


def native_available():
    try:
        importlib.import_module("fastnn.backends.native.common._openmp")
    except ImportError:
        return False
    return True


def current_cpu_backend():
    """The backend that runs kernels on NumPy arrays right now."""
    global _current_cpu
    if _current_cpu is None:
        _current_cpu = backend("native" if native_available() else "numpy")
    return _current_cpu


class use_backend:
    """Switch the CPU kernels: ``use_backend("numpy")`` or ``with use_backend("numpy"): ...``.

    Called as a function it switches for good; as a context manager it
    switches back on exit.
    """

    def __init__(self, name):
        global _current_cpu
        if name not in CPU_BACKENDS:
            raise ValueError(f"use_backend: name must be one of {CPU_BACKENDS}, got {name!r} "
                             "(the cupy backend follows the arrays: move tensors with .to('cuda'))")
        if name == "native" and not native_available():
            raise RuntimeError("use_backend: the native kernels are not built; "
                               "reinstall fastnn with a C compiler (pip install .)")
        self._previous = current_cpu_backend()
        _current_cpu = backend(name)
        _threads.apply_policy()

    def __enter__(self):
        return _current_cpu

    def __exit__(self, *exc):
        global _current_cpu
        _current_cpu = self._previous
        _threads.apply_policy()
        return False


def is_cupy_array(a):
    mod = type(a).__module__
    return mod.startswith("cupy")


def get_backend(array=None):
    """The backend for ``array``: cupy for CuPy arrays, else the current CPU backend."""
    if array is not None and is_cupy_array(array):
        return backend("cupy")
    return current_cpu_backend()
