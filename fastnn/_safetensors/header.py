"""The safetensors file format itself: dtype codes, the header's bytes, and reading a
header back (every field checked, each problem a ValueError naming the file) and the
tensors it describes out of the data buffer. fastnn/io.py drives it."""
import json
import operator
from collections import OrderedDict

import numpy as np

from .._tensor import Tensor

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
_LITTLE = np.little_endian


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


def _header_bytes(entries, metadata):
    header = dict(entries)
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    raw += b" " * (-(8 + len(raw)) % 8)
    return len(raw).to_bytes(8, "little") + raw


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
