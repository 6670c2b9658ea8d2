"""fastnn.save / fastnn.load in the safetensors file layout (no pickle, ever).

File layout (https://github.com/huggingface/safetensors):

    8 bytes   little-endian u64 N, the header length
    N bytes   JSON: {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
                     "__metadata__": {str: str}}, padded with spaces so data starts 8-aligned
    rest      the tensors' raw little-endian bytes, offsets relative to the start of this part

A flat ``{name: Tensor or ndarray}`` dict (a module's state_dict) is written as
plain safetensors, readable by the ``safetensors`` package and by other tools.
Anything else made of dicts, lists, tuples, tensors and JSON scalars (an
optimizer's state_dict, a checkpoint dict) is also saved: tensors get dotted
names (``state.0.exp_avg``), and the structure -- with its non-tensor values and
the types of its keys -- goes into ``__metadata__["fastnn.structure"]`` as JSON.

Loading reads data only: the header is validated (length, JSON, dtypes, shapes,
offsets contiguous and inside the file) and any problem raises ValueError.
"""
import contextlib
import errno
import gc
import json
import math
import numbers
import operator
import os
import re
import secrets
import stat
import threading
import time
from collections import OrderedDict

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype("u1"), "I8": np.dtype("i1"),
    "U16": np.dtype("<u2"), "I16": np.dtype("<i2"), "U32": np.dtype("<u4"), "I32": np.dtype("<i4"),
    "U64": np.dtype("<u8"), "I64": np.dtype("<i8"), "F16": np.dtype("<f2"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
}
_CODES = {(dt.kind, dt.itemsize): code for code, dt in _DTYPES.items()}
_KNOWN_UNSUPPORTED = {"BF16", "F8_E4M3", "F8_E5M2", "C64"}
_STRUCT_KEY = "fastnn.structure"
_MAX_HEADER = 100_000_000  # the limit the safetensors reference implementation uses


# --- writing ------------------------------------------------------------------------
def _host_array(x):
    data = x._data if isinstance(x, Tensor) else x
    if not isinstance(data, np.ndarray):  # e.g. a CuPy array
        get = getattr(data, "get", None)
        if get is None:
            raise TypeError(f"save: cannot serialise array of type {type(data).__name__}")
        data = get()
    return data


def _dtype_code(arr, name):
    dt = arr.dtype
    code = _CODES.get((dt.kind, dt.itemsize)) if dt.fields is None and not dt.subdtype else None
    if code is None:
        raise TypeError(f"save: tensor {name!r} has dtype {dt}, which the safetensors format "
                        f"cannot store (supported: {', '.join(sorted(_DTYPES))})")
    return code


def _is_flat_state_dict(obj):
    return isinstance(obj, dict) and all(
        isinstance(k, str) and isinstance(v, (Tensor, np.ndarray)) for k, v in obj.items())


def _flatten(obj, prefix, tensors, depth=0):
    """The JSON structure describing ``obj``; tensors are collected into ``tensors``."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"save: the structure is nested more than {_MAX_DEPTH} levels deep at "
                         f"{prefix[:200]} (or contains itself)")
    if isinstance(obj, (Tensor, np.ndarray)):
        name = prefix or "_"
        if name in tensors or name == "__metadata__":
            raise ValueError(f"save: two tensors would both be stored under the name {name!r}; "
                             "rename keys containing '.'")
        tensors[name] = obj
        return {"t": name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} at {prefix or '<root>'}")
            child = f"{prefix}.{k}" if prefix else str(k)
            items.append([k, _flatten(v, child, tensors, depth + 1)])
        return {"d": items}
    if isinstance(obj, (list, tuple)):
        children = [_flatten(v, f"{prefix}.{i}" if prefix else str(i), tensors, depth + 1)
                    for i, v in enumerate(obj)]
        return {"tu" if isinstance(obj, tuple) else "l": children}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, str)):
        return {"v": obj}
    if isinstance(obj, numbers.Integral):
        return {"v": int(obj)}
    if isinstance(obj, numbers.Real):
        v = float(obj)
        return {"f": repr(v)} if not math.isfinite(v) else {"v": v}
    raise TypeError(f"save: cannot store a value of type {type(obj).__name__} at "
                    f"{prefix or '<root>'} (tensors, arrays, dicts, lists, numbers, strings only)")


def _header_bytes(entries, metadata):
    header = dict(entries)
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)
    return len(raw).to_bytes(8, "little") + raw


def _write_array(f, arr):
    """Write one array's bytes, little-endian and C-ordered."""
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not _LITTLE):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    f.write(np.ascontiguousarray(arr).tobytes())


_LITTLE = np.little_endian


def save(obj, path, metadata=None):
    """Write ``obj`` (a state_dict, or nested dicts/lists of tensors and plain values) to ``path``.

    ``metadata`` is an optional {str: str} dict stored in the header. The file is
    written beside ``path`` and renamed into place, so a failure or a kill never
    leaves a half-written file at ``path``, and at most one temporary file
    (see _AtomicFile below).
    """
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("save: metadata must be a dict of str -> str")
        if _STRUCT_KEY in metadata:
            raise ValueError(f"save: metadata key {_STRUCT_KEY!r} is reserved")
    meta = dict(metadata or {})
    if _is_flat_state_dict(obj):
        if "__metadata__" in obj:
            raise ValueError("save: '__metadata__' is reserved and cannot name a tensor")
        tensors = dict(obj)
    else:
        tensors = {}
        meta[_STRUCT_KEY] = json.dumps(_flatten(obj, "", tensors), separators=(",", ":"))
    arrays = {name: _host_array(t) for name, t in tensors.items()}
    codes = {name: _dtype_code(a, name) for name, a in arrays.items()}
    # Lay the data out by decreasing item size so every tensor starts aligned to its item
    # size without padding (the safetensors format allows no gaps); the header keeps the
    # caller's order so load() returns the same order.
    layout = sorted(arrays, key=lambda n: -arrays[n].dtype.itemsize)
    offsets, pos = {}, 0
    for name in layout:
        offsets[name] = (pos, pos + arrays[name].nbytes)
        pos += arrays[name].nbytes
    entries = [(name, {"dtype": codes[name], "shape": list(arrays[name].shape),
                       "data_offsets": list(offsets[name])}) for name in arrays]
    header = _header_bytes(entries, meta)

    path = os.fspath(path)
    with _AtomicFile(path) as f:
        f.write(header)
        for name in layout:
            _write_array(f, arrays[name])


# --- atomic replacement -----------------------------------------------------------------
# A save writes the whole file under another name, then renames it over ``path``:
# a reader, a crash or a kill never sees half a file. What a kill -9 can leave is
# the temporary file. On Linux it has no name while the data is written (O_TMPFILE:
# the kernel frees an unnamed file whose process dies); it gets a name just
# before the rename, so only a kill between those two system calls leaves one.
# Elsewhere (or where the filesystem has no O_TMPFILE) it is named from the start.
# Either way every save first deletes the temporaries that earlier, killed saves
# of the same target left: so at most one is ever left behind.
#
# A temporary's name says which target and which process made it:
#     .<target name>.fastnn-<pid>-<8 hex digits>.tmp
# and one is deleted only when all of these hold: it matches that pattern for this
# target exactly, it is a regular file of this user, it was last written before the
# current save began, and its process is gone on this machine (another process may
# be saving the same target right now). Processes on two machines saving one target
# of a shared filesystem at the same moment are not told apart; their renames would
# race anyway.
_UNNAMED_TEMP = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _temp_pattern(base):
    return re.compile(r"\." + re.escape(base) + r"\.fastnn-(\d+)-[0-9a-f]{8}\.tmp")


def _temp_name(directory, base):
    return os.path.join(directory, f".{base}.fastnn-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def _process_gone(pid):
    if os.name != "posix":
        return False  # no harmless liveness probe (os.kill terminates on Windows): keep it
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: alive, another user's
        return False
    return False


def _remove_stale_temps(directory, base, started):
    """Delete the temporaries killed saves of ``base`` left in ``directory``."""
    pattern = _temp_pattern(base)
    uid = getattr(os, "getuid", lambda: None)()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if (not entry.is_file(follow_symlinks=False) or (uid is not None and st.st_uid != uid)
                    or st.st_mtime >= started or not _process_gone(int(m.group(1)))):
                continue
            os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to delete: a later save tries again


def _open_unnamed(directory):
    """A writable file with no name in ``directory`` (Linux O_TMPFILE), or None."""
    if not _UNNAMED_TEMP:
        return None
    try:
        # read-write: should naming it fail, its bytes can still be copied out
        return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError as exc:
        # EOPNOTSUPP: the filesystem has none; EISDIR/EINVAL: the kernel predates it
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; elsewhere a directory cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _AtomicFile:
    """``with _AtomicFile(path) as f:`` -- f is a binary file; on a clean exit its
    contents replace ``path`` in one rename; on an exception ``path`` is untouched
    and the temporary is gone."""

    def __init__(self, path):
        self.path = path
        self.directory = os.path.dirname(os.path.abspath(path))
        self.base = os.path.basename(path)
        self.tmp = None

    def __enter__(self):
        _remove_stale_temps(self.directory, self.base, time.time())
        fd = _open_unnamed(self.directory)
        if fd is None:
            while True:
                self.tmp = _temp_name(self.directory, self.base)
                try:
                    fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                                 | getattr(os, "O_BINARY", 0), 0o600)
                    break
                except FileExistsError:
                    continue
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, exc_type, exc, tb):
        f = self.file
        try:
            if exc_type is None:
                f.flush()
                os.fsync(f.fileno())
                if self.tmp is None:
                    self._publish_unnamed(f.fileno())
                f.close()
                os.replace(self.tmp, self.path)
                self.tmp = None
                _fsync_directory(self.directory)
        finally:
            f.close()
            if self.tmp is not None:
                try:
                    os.unlink(self.tmp)
                except OSError:
                    pass
        return False

    def _publish_unnamed(self, fd):
        global _UNNAMED_TEMP
        try:
            self._name_unnamed(fd)
        except OSError:
            # /proc not usable here (a sandbox): copy the bytes to a named temporary,
            # and name temporaries from the start from now on.
            _UNNAMED_TEMP = False
            tmp = _temp_name(self.directory, self.base)
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self.tmp = tmp
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                while True:
                    chunk = os.read(fd, 1 << 24)
                    if not chunk:
                        break
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(out, view):]
                os.fsync(out)
            finally:
                os.close(out)

    def _name_unnamed(self, fd):
        # linkat(<fd of /proc/self/fd>, "N", AT_FDCWD, tmp, AT_SYMLINK_FOLLOW): open(2)'s
        # way to name an O_TMPFILE file without CAP_DAC_READ_SEARCH. The directory fd
        # makes os.link call linkat (without one, CPython calls link(), which links
        # the /proc symlink itself and fails with EXDEV).
        proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        try:
            while True:
                tmp = _temp_name(self.directory, self.base)
                try:
                    os.link(str(fd), tmp, src_dir_fd=proc, follow_symlinks=True)
                except FileExistsError:
                    continue
                self.tmp = tmp
                return
        finally:
            os.close(proc)


# --- reading ------------------------------------------------------------------------
def _bad(path, what):
    return ValueError(f"load: {path}: {what}")


_FIELDS = frozenset(("dtype", "shape", "data_offsets"))


def _json(path, text, what):
    """``text`` parsed, every failure a ValueError naming ``path``."""
    try:
        return json.loads(text)
    except RecursionError:
        # The C parser nests one call per bracket: a header nested thousands deep
        # (legal JSON, nothing fastnn writes) exhausts the recursion limit.
        raise _bad(path, f"{what} is nested too deeply") from None
    except ValueError as exc:  # includes UnicodeDecodeError
        raise _bad(path, f"{what} is not valid JSON ({exc})") from None


def _parse_header(path, raw, data_len):
    """(specs, metadata): specs are (name, dtype, shape, begin, end) in the header's order.

    The header is parsed into plain dicts (a dict keeps the file's order; repeated
    names keep the last entry, as before) and each entry checked in one pass of
    cheap type tests: a legal header of 1.4 million empty tensors (94 MB) is
    proportionate work, not 20 s of per-entry set building.
    """
    header = _json(path, raw, "header")
    if type(header) is not dict:
        raise _bad(path, "header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if type(metadata) is not dict or not all(type(k) is str and type(v) is str
                                             for k, v in metadata.items()):
        raise _bad(path, "__metadata__ must be an object of string values")
    specs = []
    append = specs.append
    dtypes = _DTYPES
    for name, info in header.items():
        if type(info) is not dict or len(info) != 3 or not _FIELDS.issuperset(info):
            raise _bad(path, f"entry {name!r} must have exactly dtype, shape and data_offsets")
        code, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        dtype = dtypes.get(code) if type(code) is str else None
        if dtype is None:
            if type(code) is not str:
                raise _bad(path, f"tensor {name!r}: dtype must be a string, got {code!r}")
            why = "is not supported by NumPy" if code in _KNOWN_UNSUPPORTED else "is unknown"
            raise _bad(path, f"tensor {name!r}: dtype {code!r} {why}")
        if type(shape) is not list:
            raise _bad(path, f"tensor {name!r}: shape must be a list of non-negative integers, "
                             f"got {shape!r}")
        count = 1
        for d in shape:
            if type(d) is not int or d < 0:
                raise _bad(path, f"tensor {name!r}: shape must be a list of non-negative "
                                 f"integers, got {shape!r}")
            count *= d
        if type(offs) is not list or len(offs) != 2:
            raise _bad(path, f"tensor {name!r}: data_offsets must be [begin, end], got {offs!r}")
        begin, end = offs
        if type(begin) is not int or type(end) is not int or begin < 0:
            raise _bad(path, f"tensor {name!r}: data_offsets must be [begin, end], got {offs!r}")
        if end < begin:
            raise _bad(path, f"tensor {name!r}: data_offsets out of order ({begin} > {end})")
        if end > data_len:
            raise _bad(path, f"tensor {name!r}: data_offsets [{begin}, {end}] run past the end of "
                             f"the data ({data_len} bytes)")
        nbytes = count * dtype.itemsize
        if nbytes != end - begin:
            raise _bad(path, f"tensor {name!r}: shape {shape} of {code} needs {nbytes} bytes, "
                             f"data_offsets give {end - begin}")
        append((name, dtype, tuple(shape), begin, end))
    del header
    pos = 0
    for name, _, _, begin, end in sorted(specs, key=_BY_OFFSETS):
        if begin < pos:
            raise _bad(path, f"tensor {name!r}: data_offsets [{begin}, {end}] overlap another tensor")
        if begin > pos:
            raise _bad(path, f"tensor {name!r}: gap in the data before offset {begin}")
        pos = end
    if pos != data_len:
        raise _bad(path, f"{data_len - pos} trailing bytes after the last tensor")
    return specs, metadata


_BY_OFFSETS = operator.itemgetter(3, 4)

# How deep a saved structure may nest (dicts and lists inside each other). Far
# beyond any state_dict or checkpoint (an optimizer's is 4 deep), and shallow
# enough that the JSON encoder and decoder (three brackets per level) stay clear
# of Python's recursion limit wherever save/load are called from. Both sides
# check it, so whatever save writes, load reads.
_MAX_DEPTH = 100


def _rebuild(node, tensors, path, depth=0):
    if depth > _MAX_DEPTH:
        raise _bad(path, f"{_STRUCT_KEY} is nested more than {_MAX_DEPTH} levels deep")
    try:
        (kind, value), = node.items()
    except (AttributeError, ValueError):
        raise _bad(path, f"malformed {_STRUCT_KEY} entry {node!r}"[:300]) from None
    if kind == "t":
        if type(value) is not str or value not in tensors:
            raise _bad(path, f"{_STRUCT_KEY} refers to missing tensor {value!r}"[:300])
        return tensors[value]
    if kind == "d":
        if type(value) is not list:
            raise _bad(path, f"malformed dict in {_STRUCT_KEY}")
        out = {}
        for item in value:
            if type(item) is not list or len(item) != 2 or type(item[0]) not in (str, int):
                raise _bad(path, f"malformed dict item in {_STRUCT_KEY}")
            out[item[0]] = _rebuild(item[1], tensors, path, depth + 1)
        return out
    if kind in ("l", "tu"):
        if type(value) is not list:
            raise _bad(path, f"malformed list in {_STRUCT_KEY}")
        items = [_rebuild(v, tensors, path, depth + 1) for v in value]
        return tuple(items) if kind == "tu" else items
    if kind == "v":
        return value
    if kind == "f":
        if value not in ("nan", "inf", "-inf"):  # what save writes for non-finite floats
            raise _bad(path, f"malformed float {value!r} in {_STRUCT_KEY}"[:300])
        return float(value)
    raise _bad(path, f"unknown node kind {kind!r} in {_STRUCT_KEY}"[:300])


def _tensors(path, specs, buf):
    tensors = OrderedDict()
    wrap = Tensor._wrap
    for name, dtype, shape, begin, end in specs:
        if begin == end:  # empty: nothing to read or check
            tensors[name] = wrap(np.empty(shape, dtype.newbyteorder("=")))
            continue
        count = (end - begin) // dtype.itemsize
        arr = np.frombuffer(buf, dtype=dtype, count=count, offset=begin).reshape(shape)
        if begin % dtype.itemsize or not _LITTLE:  # misaligned or big-endian host: own copy
            arr = arr.astype(dtype.newbyteorder("="))
        if dtype.kind == "b" and arr.view(np.uint8).max() > 1:
            raise _bad(path, f"tensor {name!r}: BOOL data holds bytes other than 0 and 1")
        tensors[name] = wrap(arr)
    return tensors


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


def load(path, return_metadata=False, *, map_location=None, weights_only=True):
    """Read a file written by ``save`` (or any safetensors file).

    Returns an OrderedDict name -> Tensor for a plain state_dict, or the nested
    structure that was saved. With ``return_metadata=True`` returns
    ``(obj, metadata)`` where metadata is the user's {str: str} header dict.
    ``map_location`` (only None or "cpu") and ``weights_only`` are accepted so
    ``torch.load(PATH, map_location="cpu", weights_only=True)`` ports unchanged;
    loading is always data-only.
    """
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(f"load: map_location={map_location!r} is not supported; load on the CPU "
                         "and move the model afterwards")
    del weights_only  # nothing but data is ever read
    path = os.fspath(path)
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
    metadata = dict(metadata)
    struct = metadata.pop(_STRUCT_KEY, None)
    if struct is None:
        obj = tensors
    else:
        obj = _rebuild(_json(path, struct, _STRUCT_KEY), tensors, path)
    return (obj, metadata) if return_metadata else obj
