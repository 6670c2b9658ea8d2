"""Padding layers (ReflectionPad2d, ReplicationPad2d, ZeroPad2d, ConstantPad2d, ...):
thin modules over F.pad, padding given as one int or (left, right[, top, bottom[, ...]])."""
import numbers

from .module import Module
from ._utils import F


class _PadNd(Module):
    _mode = "constant"
    _n = 2

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, numbers.Integral):
            padding = (int(padding),) * (2 * self._n)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self._n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a "
                             f"{2 * self._n}-tuple, got {padding}")
        self.padding, self.value = padding, value

    def forward(self, input):
        if self._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


def _make(name, mode, n):
    def __init__(self, padding, value=0.0):
        _PadNd.__init__(self, padding, value)
    if mode != "constant":
        def __init__(self, padding):  # noqa: F811 -- only ConstantPad takes a value
            _PadNd.__init__(self, padding)
    if name.startswith("ConstantPad"):
        def __init__(self, padding, value):  # noqa: F811 -- torch makes value required
            _PadNd.__init__(self, padding, value)
    return type(name, (_PadNd,), {"_mode": mode, "_n": n, "__init__": __init__,
                                  "__module__": __name__})


__all__ = []
for _n in (1, 2, 3):
    for _prefix, _mode in (("Reflection", "reflect"), ("Replication", "replicate"),
                           ("Circular", "circular"), ("Zero", "constant"), ("Constant", "constant")):
        _name = f"{_prefix}Pad{_n}d"
        globals()[_name] = _make(_name, _mode, _n)
        __all__.append(_name)
