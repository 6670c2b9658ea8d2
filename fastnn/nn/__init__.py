"""fastnn.nn: Modules, Parameter, init, functional (PyTorch's torch.nn subset).

``parallel`` is imported on first use (it is the distributed front end).
"""
import importlib as _importlib

from . import functional, init, utils  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .summary import summary, SummaryInfo  # noqa: F401

__all__ = ["Parameter", "init", "functional", "summary", "SummaryInfo"] + list(_modules_all)

_LAZY = ("parallel",)


def __getattr__(name):
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
