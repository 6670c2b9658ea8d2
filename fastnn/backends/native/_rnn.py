"""Old import path of ``fastnn.backends.native.rnn._rnn`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .rnn import _rnn

sys.modules[__name__] = _rnn
