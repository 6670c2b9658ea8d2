"""Old import path of ``fastnn.backends.native.conv._conv`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .conv import _conv

sys.modules[__name__] = _conv
