"""Old import path of ``fastnn.backends.native.pool._pool`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .pool import _pool

sys.modules[__name__] = _pool
