"""Reading a saved file: from a path (a regular file only, checked on the open descriptor,
the cyclic GC paused for huge headers) or from a binary file object; where the tensors go
(map_location); and the global names a file's structure refers to."""
import contextlib
import gc
import json
import os
import stat
import threading

from .. import serialization as _ser
from .header import _MAX_HEADER, _STRUCT_KEY, _bad, _json, _parse_header, _tensors

_GC_PAUSE_HEADER = 1 << 20
_gc_lock = threading.Lock()
_gc_pauses = 0          # loads inside _gc_paused right now (any thread)
_gc_was_enabled = False


@contextlib.contextmanager
def _gc_paused():
    """Disable the cyclic GC while the block runs, counted across threads: the GC is
    one process-wide switch, so overlapping loads must not re-enable it under each
    other, and one the program disabled itself stays disabled."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _open_regular(path):
    """Open ``path`` for reading if it is a regular file, else ValueError.

    Checked on the open descriptor (no race with a rename), and opened without
    blocking: opening a FIFO for reading otherwise waits forever for a writer,
    and a character device (/dev/zero, a terminal) never ends.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
            raise _bad(path, f"is {kind}; load reads regular files only")
        if flags & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _cpu_location(map_location):
    """Where tensors go: None (stay on the CPU) or a CUDA device, from torch's forms."""
    if map_location is None or callable(map_location) and not isinstance(map_location, str):
        return None  # a function (storage, location) -> storage: everything is on the CPU here
    if isinstance(map_location, dict):
        targets = {str(v) for v in map_location.values()}
        if targets - {"cpu"}:
            raise ValueError(f"load: map_location={map_location!r}: fastnn loads on the CPU; "
                             "map to 'cpu' and move the model afterwards")
        return None
    from ..device import device
    dev = device(map_location) if not isinstance(map_location, device) else map_location
    if dev.type == "cpu":
        return None
    from .. import cuda
    if not cuda.is_available():
        raise ValueError(f"load: map_location={map_location!r} is not supported here "
                         f"({cuda.unavailable_reason()}); load on the CPU")
    return dev


def _declared_data_len(raw):
    """The data length a header declares (the largest end offset), for file objects."""
    try:
        header = json.loads(raw)
        return max((e["data_offsets"][1] for k, e in header.items()
                    if k != "__metadata__" and type(e) is dict
                    and type(e.get("data_offsets")) is list and len(e["data_offsets"]) == 2
                    and type(e["data_offsets"][1]) is int), default=0)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return 0  # _parse_header reports what is wrong


def _read_stream(f, label):
    """(raw header, data buffer) from a binary file object, read from its position."""
    head = f.read(8)
    if not isinstance(head, (bytes, bytearray)):
        raise TypeError(f"load: expected a path or a binary file object, got a text file "
                        f"({type(f).__name__}); open it with 'rb'")
    if len(head) < 8:
        raise _bad(label, f"file is {len(head)} bytes, too short for the 8-byte header length")
    n = int.from_bytes(head, "little")
    if n > _MAX_HEADER:
        raise _bad(label, f"header length {n} exceeds the {_MAX_HEADER}-byte limit")
    raw = f.read(n)
    if len(raw) != n:
        raise _bad(label, f"header length {n} is larger than the file")
    need = _declared_data_len(raw)
    buf = bytearray(f.read(need)) if need else bytearray()
    if len(buf) != need:
        raise _bad(label, f"data_offsets run past the end of the data ({len(buf)} bytes)")
    return raw, buf


def _structure_globals(f):
    """The global names a saved file's structure refers to."""
    if hasattr(f, "read"):
        raw, buf = _read_stream(f, "<file object>")
        _, metadata = _parse_header("<file object>", raw, len(buf))
    else:
        _, metadata = _read_path(os.fspath(f))
    struct = metadata.get(_STRUCT_KEY)
    return set() if struct is None else _ser.global_names(_json("<file>", struct, _STRUCT_KEY))


def _read_path(path):
    """(tensors, metadata) of the file at ``path``."""
    with _open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise _bad(path, f"file is {size} bytes, too short for the 8-byte header length")
        n = int.from_bytes(f.read(8), "little")
        if n > size - 8:
            raise _bad(path, f"header length {n} is larger than the file ({size} bytes)")
        if n > _MAX_HEADER:
            raise _bad(path, f"header length {n} exceeds the {_MAX_HEADER}-byte limit")
        raw = f.read(n)
        data_len = size - 8 - n
        # A big header means many small objects, all kept: pause the cyclic GC, which
        # would otherwise rescan the growing heap again and again for nothing to free
        # (half the time of loading 1.4 million empty tensors).
        with _gc_paused() if n > _GC_PAUSE_HEADER else contextlib.nullcontext():
            specs, metadata = _parse_header(path, raw, data_len)
            del raw
            buf = bytearray(data_len)
            if f.readinto(buf) != data_len:
                raise _bad(path, "file shrank while being read")
            tensors = _tensors(path, specs, buf)
            del specs
    return tensors, metadata
