"""Result sizes, checked before anything is allocated.

Every op and constructor whose result size comes from an argument (a factory's
``size``, ``interpolate``'s ``size``, ``pad``'s widths, a layer's features,
``num_layers``...) computes the result's bytes first, with Python integers
(which cannot overflow), and calls ``check_alloc``. A request that cannot be
met raises MemoryError naming the argument, at once, instead of working for
seconds and then failing (``interpolate`` to 10**9 x 10**9 ran 18 s and reached
7.6 GB first) or getting the process OOM-killed (``adaptive_avg_pool2d``).

The bound, and why a request above it can never succeed:

* 2**48 bytes (256 TiB), always. No 64-bit CPU fastnn builds for maps more for
  one process: x86-64 user space is 2**47 bytes (5-level paging adds more only
  for programs that ask mmap for high addresses), aarch64 at most 2**48. It also
  keeps ``numel * itemsize`` far below 2**63, where NumPy stops with "array is
  too big".
* On Linux, the memory available now: MemAvailable + SwapFree from
  /proc/meminfo, and less where the process's cgroup (a container) has a lower
  limit. Every fastnn op writes its whole result, so a result larger than the
  memory that can back it ends in a MemoryError after partial work or in the
  OOM killer, never in a result. (An ``empty``/``zeros`` array that a program
  would only ever write in part is the one use refused that could have worked;
  PyTorch gives no such promise either.) Elsewhere only the first bound applies.

Requests up to 1 GiB skip the second check: they are the common case, and
reading /proc costs tens of microseconds.
"""
import math

import numpy as np

ADDRESS_LIMIT = 2 ** 48
_QUICK = 1 << 30

# The least host memory one Tensor costs besides its data (the Python objects:
# Tensor, ndarray header, a module's dict entry), counted for layers that create
# tensors by the thousand (nn.LSTM's num_layers). Measured ~500 bytes for a
# Parameter; half of it, so the estimate never exceeds what would really be used.
TENSOR_OVERHEAD = 256


def human(nbytes):
    for unit, scale in (("EiB", 2 ** 60), ("PiB", 2 ** 50), ("TiB", 2 ** 40), ("GiB", 2 ** 30),
                        ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes} bytes"


def _meminfo():
    values = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            fields = rest.split()
            if fields and fields[0].isdigit():
                values[key] = int(fields[0]) * 1024
    return values


def _read_int(path):
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _cgroup_room():
    """Bytes the process's cgroup still allows (memory limit - usage), or None."""
    try:
        with open("/proc/self/cgroup") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":  # cgroup v2
            base = "/sys/fs/cgroup" + parts[2].rstrip("/")
            limit, used = _read_int(base + "/memory.max"), _read_int(base + "/memory.current")
        elif "memory" in parts[1].split(","):  # cgroup v1
            base = "/sys/fs/cgroup/memory" + parts[2].rstrip("/")
            limit = _read_int(base + "/memory.limit_in_bytes")
            used = _read_int(base + "/memory.usage_in_bytes")
        else:
            continue
        if limit is not None and used is not None and limit < 2 ** 60:  # v1 "no limit" is ~2**63
            return max(limit - used, 0)
    return None


def available_bytes():
    """Memory a new allocation can get now (Linux), or None where fastnn cannot tell."""
    try:
        info = _meminfo()
    except OSError:
        return None
    if "MemAvailable" not in info:
        return None
    room = info["MemAvailable"] + info.get("SwapFree", 0)
    cg = _cgroup_room()
    return room if cg is None else min(room, cg)


def check_bytes(what, nbytes, describe, host=True):
    """Raise MemoryError ``"{what}: {describe} would take N bytes, more than ..."``
    unless ``nbytes`` can be allocated. ``what`` names the op and the argument.
    ``host=False`` (a result in GPU memory): only the address-space bound applies."""
    if nbytes <= _QUICK:
        return
    if nbytes > ADDRESS_LIMIT:
        raise MemoryError(f"{what}: {describe} would take {human(nbytes)} ({nbytes} bytes), more "
                          f"than the 256 TiB (2**48 bytes) any 64-bit process can address")
    if not host:
        return
    avail = available_bytes()
    if avail is not None and nbytes > avail:
        raise MemoryError(f"{what}: {describe} would take {human(nbytes)} ({nbytes} bytes), more "
                          f"than the {human(avail)} of memory available now")


def check_shape(what, shape):
    """``shape`` as a tuple of non-negative Python ints, else ValueError/TypeError naming ``what``."""
    out = []
    for s in shape:
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{what}: sizes must be integers, got {type(s).__name__} in "
                            f"{tuple(shape)!r}")
        s = s.__index__()
        if s < 0:
            raise ValueError(f"{what}: sizes must be non-negative, got {tuple(shape)!r}")
        out.append(s)
    return tuple(out)


def check_alloc(what, shape, itemsize, per_element=0, describe="a result", like=None):
    """Check an array of ``shape`` and ``itemsize`` (plus ``per_element`` bytes of
    temporaries for each element) fits; returns the element count. ``like``: the
    input array the result is made beside (a CuPy array puts it on the GPU)."""
    shape = check_shape(what, shape)
    n = math.prod(shape)
    check_bytes(what, n * (itemsize + per_element), f"{describe} of shape {shape}",
                host=like is None or isinstance(like, np.ndarray))
    return n
