"""fastnn.nn: Modules, Parameter, init, functional (PyTorch's torch.nn subset).

``functional`` and ``utils`` are imported on first use, so ``fastnn.nn``
imports even where they fail to (and without import cycles).
"""
import importlib as _importlib

from . import init  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .summary import summary, SummaryInfo  # noqa: F401

__all__ = ["Parameter", "init", "functional", "summary", "SummaryInfo"] + list(_modules_all)

_LAZY = ("functional", "utils")
_LAZY += ("parallel",)


def __getattr__(name):
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


try:  # utils (clip_grad_norm_, rnn packing) is written separately
    from . import utils  # noqa: F401
except ImportError:  # pragma: no cover - until fastnn/nn/utils lands
    pass
