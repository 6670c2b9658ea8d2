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

The parts live in fastnn/_safetensors/: header.py (the format), structure.py
(the JSON nodes), atomic.py (replacing a file in one rename), read.py (paths and
file objects).
"""
from __future__ import annotations

import json
import os
from typing import IO, TYPE_CHECKING, Any, Callable, Union, cast

import numpy as np

from ._safetensors.atomic import _AtomicFile, _open_unnamed  # noqa: F401
from ._safetensors.header import (_ARRAYS_KEY, _LITTLE, _STRUCT_KEY, _dtype_code,
                                  _header_bytes, _host_array, _json, _bad, _parse_header,
                                  _tensors)
from ._safetensors.read import (_cpu_location, _gc_paused, _read_path,  # noqa: F401
                                _read_stream, _structure_globals)
from ._safetensors.structure import _MAX_DEPTH, _flatten, _is_flat_state_dict, _rebuild  # noqa: F401

if TYPE_CHECKING:
    from .device import device

__all__ = ["save", "load"]

# What save and load accept as ``f``: a path or an open binary file.
_FileLike = Union[str, "os.PathLike[str]", IO[bytes]]


def _write_array(f: IO[bytes], arr: np.ndarray) -> None:
    """Write one array's bytes, little-endian and C-ordered."""
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not _LITTLE):
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    f.write(np.ascontiguousarray(arr).tobytes())


def save(obj: Any, f: _FileLike, metadata: dict[str, str] | None = None,
         pickle_module: Any = None, pickle_protocol: Any = None,
         _use_new_zipfile_serialization: Any = None,
         _disable_byteorder_record: Any = None) -> None:
    """Saves ``obj`` to ``f`` in the safetensors layout (never pickle).

    ``obj`` may be a state_dict (written as plain safetensors, readable by other
    tools), a checkpoint of nested dicts, lists and tuples of tensors, arrays and
    plain values (an optimizer's state_dict, ``{"epoch": 3, "model": ...}``), or a
    whole ``nn.Module`` or other object (stored by class name and state; loading it
    needs ``weights_only=False`` or an allowlist). A tensor met twice is stored once.

    A path is written beside itself and renamed into place: a failure or a kill
    never leaves a half-written file under that name.

    Args:
        obj (object): what to save.
        f (str, os.PathLike or binary file): a path, or a file object open for
            binary writing (written at its position; the caller closes it).
        metadata (dict, optional): ``{str: str}`` pairs stored in the header,
            returned by ``load(..., return_metadata=True)``. Default: ``None``
        pickle_module, pickle_protocol: accepted for PyTorch's signature; unused.

    Example::

        >>> import os, tempfile
        >>> model = nn.Linear(3, 2)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = os.path.join(d, "model.safetensors")
        ...     fastnn.save(model.state_dict(), path)
        ...     state = fastnn.load(path)
        >>> list(state), tuple(state["weight"].shape)
        (['weight', 'bias'], (2, 3))
        >>> bool((state["weight"] == model.weight).all())
        True
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
        array_names = [k for k, v in obj.items() if isinstance(v, np.ndarray)]
        if array_names:
            meta[_ARRAYS_KEY] = json.dumps(array_names)
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
        stream = cast("IO[bytes]", f)
        stream.write(header)
        for name in layout:
            _write_array(stream, arrays[name])
        return
    with _AtomicFile(os.fspath(f)) as out:
        out.write(header)
        for name in layout:
            _write_array(out, arrays[name])



def load(f: _FileLike, map_location: str | device | dict | Callable | None = None,
         pickle_module: Any = None, *, weights_only: bool | None = None, mmap: Any = None,
         return_metadata: bool = False, **pickle_load_args: Any) -> Any:
    """Loads what :func:`save` wrote to ``f`` (or any safetensors file).

    A plain state_dict comes back as an ``OrderedDict`` of name -> Tensor (arrays
    that were saved as NumPy arrays come back as arrays); anything else comes back
    as the structure that was saved. Every header field is checked: a damaged or
    truncated file raises ValueError naming it.

    Args:
        f (str, os.PathLike or binary file): a path, or a file object open for binary
            reading (read from its position).
        map_location (str, device, dict or callable, optional): where tensors go: ``None``,
            ``"cpu"``, a CPU device, a function or a dict mapping to ``"cpu"`` (all load
            on the CPU), or a CUDA device when CUDA is available. Default: ``None``
        pickle_module: accepted for PyTorch's signature; unused.
        weights_only (bool, optional): ``True`` (the default, as PyTorch >= 2.6) rebuilds
            tensors, arrays, containers and plain values only and refuses any other class
            the file names unless allowlisted (``fastnn.serialization.safe_globals``);
            ``False`` imports whatever the file names: only for files you trust.
        mmap: accepted for PyTorch's signature; unused.
        return_metadata (bool): return ``(obj, metadata)``, metadata being the
            ``{str: str}`` dict given to ``save``. Default: ``False``

    Example::

        >>> import io
        >>> buf = io.BytesIO()
        >>> fastnn.save({"step": 3, "w": fastnn.tensor([1.0, 2.0])}, buf, metadata={"by": "me"})
        >>> _ = buf.seek(0)
        >>> fastnn.load(buf, return_metadata=True)
        ({'step': 3, 'w': tensor([1., 2.])}, {'by': 'me'})
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
