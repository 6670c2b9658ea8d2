"""Old import path of ``fastnn.backends.native.common._openmp`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .common import _openmp

sys.modules[__name__] = _openmp
