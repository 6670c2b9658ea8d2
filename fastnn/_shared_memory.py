"""Tensors in shared memory (``Tensor.share_memory_()``, ``Module.share_memory()``), for
Hogwild-style training where worker processes update one model in place.

A shared tensor's array lives in a file under /dev/shm (the temp dir where there is no
/dev/shm), mapped with mmap. Pickling such an array (what multiprocessing does to the
arguments of a spawned Process) sends the file name and the array's place in it, and the
receiving process maps the same file, so in-place updates (optimizer steps, ``add_``) are
seen by every process. Results of operations on a shared array are fresh private memory,
as in PyTorch. The process that shared the memory removes the files when it exits."""
from __future__ import annotations

import atexit
import itertools
import mmap
import os
import tempfile

import numpy as np

_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
_counter = itertools.count()
# start address -> (end address, path, mmap) of every mapping held here
_segments: dict[int, tuple[int, str, mmap.mmap]] = {}
_owned: list[str] = []  # files this process created (removed at exit)


def _register(mm, path):
    arr = np.frombuffer(mm, dtype=np.uint8)
    start = arr.__array_interface__["data"][0]
    _segments[start] = (start + len(mm), path, mm)
    return arr


def _segment_of(arr):
    addr = arr.__array_interface__["data"][0]
    for start, (end, path, _) in _segments.items():
        if start <= addr < end or (addr == start and arr.nbytes == 0):
            return start, path
    return None


class SharedArray(np.ndarray):
    """An ndarray whose memory is a shared file mapping; pickles by reference."""

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # ufunc results are new private memory unless written into a shared `out=`
        if return_scalar:
            return arr[()]
        if type(arr) is SharedArray and _segment_of(arr) is not None:
            return arr
        return arr.view(np.ndarray)

    def __reduce__(self):
        seg = _segment_of(self) if self.nbytes else None
        if seg is None:  # a copy or other private array that kept the type: plain pickling
            return np.ndarray.__reduce__(self.view(np.ndarray))
        start, path = seg
        offset = self.__array_interface__["data"][0] - start
        return _attach, (path, offset, self.shape, self.dtype.str, self.strides)


def _attach(path, offset, shape, dtype, strides):
    for start, (end, p, mm) in _segments.items():
        if p == path:
            break
    else:
        with open(path, "r+b") as f:
            mm = mmap.mmap(f.fileno(), 0)
        _register(mm, path)
    return np.ndarray(shape, np.dtype(dtype), buffer=mm, offset=offset,
                      strides=strides).view(SharedArray)


def to_shared(arr):
    """A SharedArray copy of ``arr`` in a new shared file (``arr`` itself if already shared)."""
    if isinstance(arr, SharedArray) and _segment_of(arr) is not None:
        return arr
    arr = np.ascontiguousarray(arr)
    path = os.path.join(_DIR, f"fastnn_{os.getpid()}_{next(_counter)}")
    size = max(arr.nbytes, 1)
    with open(path, "w+b") as f:
        f.truncate(size)
        mm = mmap.mmap(f.fileno(), size)
    _owned.append(path)
    _register(mm, path)
    out = np.ndarray(arr.shape, arr.dtype, buffer=mm).view(SharedArray)
    out[...] = arr
    return out


def is_shared_array(arr):
    return isinstance(arr, SharedArray) and _segment_of(arr) is not None


@atexit.register
def _cleanup():
    for path in _owned:
        try:
            os.unlink(path)
        except OSError:
            pass


def share_memory_(self):
    """Move this tensor's data into shared memory (in place; no-op if already there)."""
    if not isinstance(self._data, np.ndarray):
        raise RuntimeError("share_memory_: only CPU tensors can be shared between processes")
    self._data = to_shared(self._data)
    return self


def is_shared(self):
    return is_shared_array(self._data)


def module_share_memory(self):
    """Module.share_memory(): every parameter and buffer moves to shared memory."""
    for t in list(self.parameters()) + list(self.buffers()):
        share_memory_(t)
    return self
