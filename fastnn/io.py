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

NumPy arrays load back as arrays (a flat dict lists them in
``__metadata__["fastnn.arrays"]``). Other objects -- a whole ``nn.Module``, a
custom class -- are stored by name and state, as pickle would store them but as
JSON nodes (fastnn/serialization.py); as in PyTorch >= 2.6, ``load`` rebuilds
them only under ``weights_only=False`` or for classes allowlisted with
``fastnn.serialization.safe_globals``.

``save`` and ``load`` take a path or an open binary file object.

Loading validates the header (length, JSON, dtypes, shapes, offsets contiguous
and inside the file) and any problem raises ValueError.
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

from . import serialization as _ser
from ._tensor import Tensor

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
_ARRAYS_KEY = "fastnn.arrays"  # names of a flat dict's entries that were NumPy arrays
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
        isinstance(k, str) and isinstance(v, (Tensor, np.ndarray))
        and not getattr(v, "is_sparse", False) for k, v in obj.items())


class _Flattener:
    """Turns a saved object into its JSON structure, collecting tensors by name.

    A tensor (or array, or Parameter) met twice is stored once and named twice,
    so shared weights stay shared; objects met twice become {"r": id} nodes.
    """

    def __init__(self, tensors):
        self.tensors = tensors
        self.names = {}   # id(tensor or array) -> name
        self.memo = {}    # id(object) -> (memo id, object)
        self.depth = 0

    def __call__(self, obj, prefix):
        if self.depth > _MAX_DEPTH:
            raise ValueError(f"save: the structure is nested more than {_MAX_DEPTH} levels deep "
                             f"at {prefix[:200]} (or contains itself)")
        self.depth += 1
        try:
            return self._node(obj, prefix)
        finally:
            self.depth -= 1

    def _tensor_name(self, obj, prefix):
        name = self.names.get(id(obj))
        if name is not None:
            return name
        name = prefix or "_"
        if name in self.tensors or name == "__metadata__":
            raise ValueError(f"save: two tensors would both be stored under the name {name!r}; "
                             "rename keys containing '.'")
        self.tensors[name] = obj
        self.names[id(obj)] = name
        return name

    def _node(self, obj, prefix):
        if isinstance(obj, Tensor) and obj.is_sparse:  # its parts: data only, weights_only-safe
            c = obj.coalesce()
            return {"sp": [self(Tensor._wrap(c._indices), f"{prefix}.indices"),
                           self(c._values, f"{prefix}.values"), list(c.shape)]}
        if isinstance(obj, Tensor):
            name = self._tensor_name(obj, prefix)
            if type(obj) is not Tensor and type(obj).__name__ == "Parameter":
                return {"P": [name, bool(obj.requires_grad)]}
            return {"tg": name} if obj.requires_grad else {"t": name}
        if isinstance(obj, np.ndarray):
            if obj.dtype.kind == "O":
                raise TypeError(f"save: object arrays cannot be stored (at {prefix or '<root>'})")
            return {"a": self._tensor_name(obj, prefix)}
        kind = type(obj)
        if kind is dict or kind is OrderedDict:
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} "
                                    f"at {prefix or '<root>'}")
                child = f"{prefix}.{k}" if prefix else str(k)
                items.append([k, self(v, child)])
            return {"d" if kind is dict else "od": items}
        if kind is list or kind is tuple:
            children = [self(v, f"{prefix}.{i}" if prefix else str(i)) for i, v in enumerate(obj)]
            return {"tu" if kind is tuple else "l": children}
        if isinstance(obj, np.generic):
            obj = obj.item()
        if obj is None or isinstance(obj, (bool, str)):
            return {"v": obj}
        if isinstance(obj, numbers.Integral):
            return {"v": int(obj)}
        if isinstance(obj, numbers.Real):
            v = float(obj)
            return {"f": repr(v)} if not math.isfinite(v) else {"v": v}
        seen = self.memo.get(id(obj))
        if seen is not None:
            return {"r": seen[0]}
        return _ser.encode_object(obj, prefix, self, self.memo)


def _flatten(obj, prefix, tensors, depth=0):
    """The JSON structure describing ``obj``; tensors are collected into ``tensors``."""
    return _Flattener(tensors)(obj, prefix)


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


def save(obj, f, metadata=None, pickle_module=None, pickle_protocol=None,
         _use_new_zipfile_serialization=None, _disable_byteorder_record=None):
    """Write ``obj`` -- a state_dict, a checkpoint of nested dicts/lists, tensors,
    arrays and plain values, or a whole ``nn.Module`` or other object -- to ``f``.

    ``f`` is a path or a binary file object open for writing. ``metadata`` is an
    optional {str: str} dict stored in the header. A path is written beside
    itself and renamed into place, so a failure or a kill never leaves a
    half-written file there, and at most one temporary file (see _AtomicFile).
    ``pickle_module`` and the other PyTorch arguments are accepted and unused:
    fastnn never writes pickle.
    """
    del pickle_module, pickle_protocol, _use_new_zipfile_serialization, _disable_byteorder_record
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("save: metadata must be a dict of str -> str")
        for key in (_STRUCT_KEY, _ARRAYS_KEY):
            if key in metadata:
                raise ValueError(f"save: metadata key {key!r} is reserved")
    meta = dict(metadata or {})
    if _is_flat_state_dict(obj):
        if "__metadata__" in obj:
            raise ValueError("save: '__metadata__' is reserved and cannot name a tensor")
        tensors = dict(obj)
        arrays = [k for k, v in obj.items() if isinstance(v, np.ndarray)]
        if arrays:
            meta[_ARRAYS_KEY] = json.dumps(arrays)
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

    if hasattr(f, "write"):  # an open file: write in place, the caller owns it
        f.write(header)
        for name in layout:
            _write_array(f, arrays[name])
        return
    with _AtomicFile(os.fspath(f)) as out:
        out.write(header)
        for name in layout:
            _write_array(out, arrays[name])


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


class _Rebuilder:
    """Turns the JSON structure back into objects (the inverse of _Flattener)."""

    def __init__(self, tensors, path, weights_only):
        self.tensors = tensors
        self.path = path
        self.weights_only = weights_only
        self.memo = {}
        self.params = {}
        self.depth = 0

    def __call__(self, node):
        if self.depth > _MAX_DEPTH:
            raise _bad(self.path, f"{_STRUCT_KEY} is nested more than {_MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return self._node(node)
        finally:
            self.depth -= 1

    def _tensor(self, value):
        if type(value) is not str or value not in self.tensors:
            raise _bad(self.path, f"{_STRUCT_KEY} refers to missing tensor {value!r}"[:300])
        return self.tensors[value]

    def _node(self, node):
        path = self.path
        try:
            (kind, value), = node.items()
        except (AttributeError, ValueError):
            raise _bad(path, f"malformed {_STRUCT_KEY} entry {node!r}"[:300]) from None
        if kind == "t":
            return self._tensor(value)
        if kind == "tg":
            t = self._tensor(value)
            if t._data.dtype.kind in "fc":
                t.requires_grad = True
            return t
        if kind == "a":
            return self._tensor(value)._data
        if kind == "P":
            if type(value) is not list or len(value) != 2 or type(value[1]) is not bool:
                raise _bad(path, f"malformed parameter in {_STRUCT_KEY}")
            name, rg = value
            if name not in self.params:
                from .nn.parameter import Parameter
                self.params[name] = Parameter(self._tensor(name), requires_grad=rg)
            return self.params[name]
        if kind in ("d", "od"):
            if type(value) is not list:
                raise _bad(path, f"malformed dict in {_STRUCT_KEY}")
            out = {} if kind == "d" else OrderedDict()
            for item in value:
                if type(item) is not list or len(item) != 2 or type(item[0]) not in (str, int):
                    raise _bad(path, f"malformed dict item in {_STRUCT_KEY}")
                out[item[0]] = self(item[1])
            return out
        if kind in ("l", "tu"):
            if type(value) is not list:
                raise _bad(path, f"malformed list in {_STRUCT_KEY}")
            items = [self(v) for v in value]
            return tuple(items) if kind == "tu" else items
        if kind == "v":
            return value
        if kind == "f":
            if value not in ("nan", "inf", "-inf"):  # what save writes for non-finite floats
                raise _bad(path, f"malformed float {value!r} in {_STRUCT_KEY}"[:300])
            return float(value)
        if kind == "sp":
            if type(value) is not list or len(value) != 3 or type(value[2]) is not list:
                raise _bad(path, f"malformed sparse tensor in {_STRUCT_KEY}")
            from .sparse import sparse_coo_tensor
            indices, values = self(value[0]), self(value[1])
            try:
                return sparse_coo_tensor(indices, values, value[2]).coalesce()
            except (TypeError, ValueError, RuntimeError) as exc:
                raise _bad(path, f"bad sparse tensor in {_STRUCT_KEY}: {exc}") from None
        if kind == "b":
            import base64
            if type(value) is not str:
                raise _bad(path, f"malformed bytes in {_STRUCT_KEY}")
            return base64.b64decode(value.encode("ascii"), validate=True)
        if kind == "g":
            if type(value) is not str:
                raise _bad(path, f"malformed global name in {_STRUCT_KEY}")
            return _ser.resolve(value, self.weights_only, path)
        if kind == "r":
            if type(value) is not int or value not in self.memo:
                raise _bad(path, f"{_STRUCT_KEY} refers to an unknown object {value!r}"[:300])
            return self.memo[value]
        if kind == "o":
            return _ser.decode_object(value, self, self.memo, self.weights_only, path)
        raise _bad(path, f"unknown node kind {kind!r} in {_STRUCT_KEY}"[:300])


def _rebuild(node, tensors, path, depth=0, weights_only=True):
    return _Rebuilder(tensors, path, weights_only)(node)


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
    from .device import device
    dev = device(map_location) if not isinstance(map_location, device) else map_location
    if dev.type == "cpu":
        return None
    from . import cuda
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


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         return_metadata=False, **pickle_load_args):
    """Read a file written by ``save`` (or any safetensors file).

    ``f`` is a path or a binary file object open for reading. Returns an
    OrderedDict name -> Tensor for a plain state_dict, or the structure that was
    saved. With ``return_metadata=True`` returns ``(obj, metadata)`` where
    metadata is the user's {str: str} header dict.

    ``weights_only`` (default True, as PyTorch >= 2.6) rebuilds tensors, arrays,
    containers and plain values only, and raises for any other class or function
    the file names unless it is allowlisted (fastnn.serialization.safe_globals);
    ``weights_only=False`` imports whatever the file names: use it only for files
    you trust. ``map_location`` may be None, "cpu", a CPU device, a function or
    a dict mapping to "cpu" (tensors load on the CPU), or a CUDA device when
    CUDA is available. ``pickle_module``, ``mmap`` and ``pickle_load_args`` are
    accepted for PyTorch's signature and unused.
    """
    del pickle_module, mmap, pickle_load_args
    target = _cpu_location(map_location)
    weights_only = True if weights_only is None else bool(weights_only)
    if hasattr(f, "read"):
        label = getattr(f, "name", None) or "<file object>"
        label = label if isinstance(label, str) else "<file object>"
        raw, buf = _read_stream(f, label)
        specs, metadata = _parse_header(label, raw, len(buf))
        tensors = _tensors(label, specs, buf)
        path = label
    else:
        path = os.fspath(f)
        tensors, metadata = _read_path(path)
    if target is not None:
        for t in tensors.values():
            t._data = t.to(target)._data
    metadata = dict(metadata)
    struct = metadata.pop(_STRUCT_KEY, None)
    arrays = metadata.pop(_ARRAYS_KEY, None)
    if struct is not None:
        obj = _rebuild(_json(path, struct, _STRUCT_KEY), tensors, path, weights_only=weights_only)
    else:
        obj = tensors
        if arrays is not None:
            names = _json(path, arrays, _ARRAYS_KEY)
            if type(names) is not list:
                raise _bad(path, f"{_ARRAYS_KEY} must be a list of names")
            for name in names:
                if type(name) is str and name in obj:
                    obj[name] = obj[name]._data
    return (obj, metadata) if return_metadata else obj


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
