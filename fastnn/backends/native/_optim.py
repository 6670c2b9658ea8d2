"""Old import path of ``fastnn.backends.native.optim._optim`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .optim import _optim

sys.modules[__name__] = _optim
