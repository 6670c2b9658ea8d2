"""Old import path of ``fastnn.backends.native.gemm._gemm`` (the compiled modules moved into
their family's folder); importing this gives that same module object."""
import sys

from .gemm import _gemm

sys.modules[__name__] = _gemm
