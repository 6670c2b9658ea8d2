"""fastnn.device: where a tensor's data lives, spelled as in PyTorch.

``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``, ``device("cuda", 1)``
and ``device(0)`` (an int means a CUDA ordinal). ``type`` is "cpu" or "cuda";
``index`` is None when no ordinal was given. As in PyTorch, ``device("cuda")``
and ``device("cuda:0")`` are different values (the first means "the current
CUDA device"). Parsing needs neither CuPy nor a GPU.
"""
__all__ = ["device"]

_TYPES = ("cpu", "cuda")


class device:
    __slots__ = ("_type", "_index")

    def __init__(self, type, index=None):  # noqa: A002 -- PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device: an index cannot be combined with a device object")
            self._type, self._index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            if index is not None:
                raise TypeError("device: an ordinal cannot be combined with an index")
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string, an int or a device, got {type!r}")
        spec = type.strip()
        kind, sep, ordinal = spec.partition(":")
        if kind not in _TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of "
                               f"device string: {type}")
        if sep:
            if index is not None:
                raise RuntimeError(f"device: type string {type!r} already has an index; "
                                   f"cannot also pass index={index!r}")
            if not ordinal.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(ordinal)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device: index must be an int, got {index!r}")
            if index < 0:
                raise RuntimeError(f"Device index must not be negative, got {index}")
            if kind == "cpu" and index != 0:
                raise RuntimeError(f"CPU device index must be 0 or None, got {index}")
        self._type, self._index = kind, index

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __reduce__(self):
        return (device, (self._type, self._index))
