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
from __future__ import annotations

import dis
import importlib
import sys
import threading
from typing import TYPE_CHECKING

from .. import _threads

if TYPE_CHECKING:
    from types import CodeType

FAMILIES = ("gemm", "conv", "pool", "elementwise", "rnn", "optim", "conv_transpose", "attention")
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


_backends: dict[str, Backend] = {}
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


class _ThreadChoice(threading.local):
    cpu = None  # this thread's backend inside ``with use_backend(...)``, else None


_thread_choice = _ThreadChoice()
_switch_lock = threading.Lock()


def current_cpu_backend():
    """The backend that runs kernels on NumPy arrays right now, in the calling thread."""
    be = _thread_choice.cpu
    if be is not None:
        return be
    return _current_cpu if _current_cpu is not None else current_process_backend()


# Opcodes that follow the call in ``with use_backend(...):`` (3.9/3.10: SETUP_WITH,
# 3.11-3.13: BEFORE_WITH; 3.14 looks __exit__ up with COPY then LOAD_SPECIAL).
_WITH_OPS = ("SETUP_WITH", "BEFORE_WITH")
_with_site_cache: dict[tuple[CodeType, int], bool] = {}


def _called_by_with(frame):
    """Whether the call being executed in ``frame`` is the expression of a ``with``."""
    key = (frame.f_code, frame.f_lasti)
    hit = _with_site_cache.get(key)
    if hit is None:
        following = [ins.opname for ins in dis.get_instructions(frame.f_code)
                     if ins.offset > frame.f_lasti][:2]
        hit = bool(following) and (following[0] in _WITH_OPS or
                                   following == ["COPY", "LOAD_SPECIAL"])
        if len(_with_site_cache) > 1024:  # call sites of exec'd code must not pile up
            _with_site_cache.clear()
        _with_site_cache[key] = hit
    return hit


class use_backend:
    """Switch the CPU kernels: ``use_backend("numpy")`` or ``with use_backend("numpy"): ...``.

    Called as a function it switches the whole process for good: every thread
    that is not inside a ``with use_backend(...)`` block of its own.

    As a context manager it switches the calling thread only, until the block
    exits; other threads keep their backend, blocks in different threads may
    overlap in any order, and a block restores exactly what it replaced. That is
    what a block is for (run this code on the reference kernels, e.g. to compare
    or to debug one call) and the way PyTorch scopes per-thread state such as
    ``with torch.device(...)``. ``with use_backend(...)`` written directly never
    changes the process-wide choice, even for an instant. Entering an object
    made earlier (``cm = use_backend(...); ...; with cm:``) first switched the
    process, as a call does; entering turns that into the thread's switch.

    NumPy's BLAS has one thread count per process: each switch sizes it for the
    switching thread's backend (fastnn/_threads.py), the last switch winning.
    """

    def __init__(self, name):
        global _current_cpu
        if name not in CPU_BACKENDS:
            raise ValueError(f"use_backend: name must be one of {CPU_BACKENDS}, got {name!r} "
                             "(the cupy backend follows the arrays: move tensors with .to('cuda'))")
        if name == "native" and not native_available():
            raise RuntimeError("use_backend: the native kernels are not built; "
                               "reinstall fastnn with a C compiler (pip install .)")
        self._backend = backend(name)
        self._saved = {}
        self._process_prev = None
        if _called_by_with(sys._getframe(1)):
            return  # a block: __enter__ switches this thread only
        with _switch_lock:
            self._process_prev = current_process_backend()
            _current_cpu = self._backend
        _threads.apply_policy()

    def __enter__(self):
        global _current_cpu
        if self._process_prev is not None:
            # Made by a plain call, then entered: undo the process-wide switch
            # (unless another call has switched since) and keep it to this thread.
            with _switch_lock:
                if _current_cpu is self._backend:
                    _current_cpu = self._process_prev
            self._process_prev = None
        self._saved.setdefault(threading.get_ident(), []).append(_thread_choice.cpu)
        _thread_choice.cpu = self._backend
        _threads.apply_policy()
        return self._backend

    def __exit__(self, *exc):
        ident = threading.get_ident()
        stack = self._saved[ident]
        _thread_choice.cpu = stack.pop()
        if not stack:
            del self._saved[ident]
        _threads.apply_policy()
        return False


def current_process_backend():
    """The process-wide CPU backend (what threads outside a ``with use_backend`` block use)."""
    global _current_cpu
    if _current_cpu is None:
        _current_cpu = backend("native" if native_available() else "numpy")
    return _current_cpu


def is_cupy_array(a):
    mod = type(a).__module__
    return mod.startswith("cupy")


def get_backend(array=None):
    """The backend for ``array``: cupy for CuPy arrays, else the current CPU backend."""
    if array is not None and is_cupy_array(array):
        return backend("cupy")
    return current_cpu_backend()


# torch.backends' modules that scripts touch (cudnn.benchmark = True, mps.is_available()),
# imported on first use: fastnn.backends.cudnn etc. after a plain ``import fastnn``.
_SETTINGS_MODULES = ("cudnn", "mps", "cuda", "openmp")


def __getattr__(name):
    if name in _SETTINGS_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
