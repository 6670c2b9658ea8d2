# Type stub of the compiled module built from _fused.pyx: its functions are typed there
# (memoryviews); to mypy every name is Any.
from typing import Any

def __getattr__(name: str) -> Any: ...
