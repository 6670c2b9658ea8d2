"""Old import path of ``fastnn.backends.native.elementwise._elementwise`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .elementwise import _elementwise

sys.modules[__name__] = _elementwise
