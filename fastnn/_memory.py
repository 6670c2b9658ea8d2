"""Keep freed activation memory in the process (glibc's malloc settings).

A training step allocates its activations and gradients, frees them, and
allocates the same sizes again next step. glibc serves every block of 128 KiB
or more with its own mmap and returns it to the OS on free (and trims the
heap top above 128 KiB too, its defaults adapt only upwards and only after
such a free), so each step's big arrays come back as fresh pages: one page
fault per 4 KiB, ~60 us per MB touched. On the seed CNN's training step
(batch 32, a few MB of activations) that was ~30% of the step on a 2-core
AMD EPYC Zen 4 (9.7-10.9 ms -> 6.9-7.3 ms with the settings below).

So, at ``import fastnn`` on glibc, blocks up to 64 MiB come from the heap and
up to 256 MiB of free heap top stays mapped: a step reuses the previous step's
memory, at the price of the process keeping up to that much above what it
uses (PyTorch users get the same by preloading jemalloc or tcmalloc).
Larger blocks still go to mmap and back to the OS.

Not applied where the user chose already: MALLOC_MMAP_THRESHOLD_ or
MALLOC_TRIM_THRESHOLD_ in the environment (glibc read them at start), or
FASTNN_KEEP_MALLOC=1 to leave glibc's defaults alone. Other C libraries
(musl, macOS, Windows) are left alone.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 256 << 20

applied = False


def keep_freed_memory():
    """Apply the settings above once; returns True when glibc took them."""
    global applied
    if applied or not sys.platform.startswith("linux"):
        return applied
    if os.environ.get("FASTNN_KEEP_MALLOC", "") not in ("", "0"):
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # glibc only: musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return applied
