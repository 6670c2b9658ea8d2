# distutils: sources = fastnn/backends/native/common/isa.c
"""The instruction-set level of every native kernel family: decided once per
process, at the first native import, and shared by all of them (see isa.h).

By default the best level this CPU executes ('avx512', then 'avx2', then
'generic', the portable build). The environment variable FASTNN_ISA forces one:
``FASTNN_ISA=avx2 python train.py`` runs every kernel's AVX2 build, so the code
another CPU would take is tested here. A value that is not a level name, or a
level this CPU (or this build) cannot run, does not fail: a RuntimeWarning says
so and the best level at or below the request is used ('auto' or empty: the
default). fastnn.backends.native.isa(), available_isas() and set_isa() are the
Python side.
"""
import os
import warnings

cdef extern from "common/isa.h" nogil:
    int FASTNN_ISA_COUNT
    int fastnn_isa_runs(int level)
    int fastnn_isa_best()
    const char *fastnn_isa_name(int level)
    int fastnn_isa_from_name(const char *name)
    void fastnn_isa_set(int level)
    const int *fastnn_isa_level


cdef const int *level_address() noexcept nogil:
    return <const int *>fastnn_isa_level


def _name(int lvl):
    return fastnn_isa_name(lvl).decode("ascii")


LEVELS = tuple(_name(i) for i in range(FASTNN_ISA_COUNT - 1, -1, -1))  # best first


def available():
    """The levels this build has and this CPU executes, best first."""
    return [n for i, n in zip(range(FASTNN_ISA_COUNT - 1, -1, -1), LEVELS) if fastnn_isa_runs(i)]


def current():
    """The level the kernels run now."""
    return _name(fastnn_isa())


def _level_of(name):
    cdef bytes raw = name.encode("ascii", "replace")
    return fastnn_isa_from_name(raw)


def _from_environment(value):
    """The level FASTNN_ISA=value asks for, falling back with a warning (see above)."""
    req = (value or "").strip().lower()
    if req in ("", "auto"):
        return fastnn_isa_best()
    lvl = _level_of(req)
    if lvl < 0:
        warnings.warn(f"FASTNN_ISA={value!r} is not one of {list(LEVELS)} (or 'auto'); "
                      f"using {_name(fastnn_isa_best())!r}", RuntimeWarning, stacklevel=2)
        return fastnn_isa_best()
    if not fastnn_isa_runs(lvl):
        use = lvl
        while not fastnn_isa_runs(use):
            use -= 1
        warnings.warn(f"FASTNN_ISA={value!r}: this CPU or this build cannot run {req!r} "
                      f"(available: {available()}); using {_name(use)!r}",
                      RuntimeWarning, stacklevel=2)
        return use
    return lvl


_START = _from_environment(os.environ.get("FASTNN_ISA"))
fastnn_isa_set(_START)


def set_current(name=None):
    """Switch every family to level ``name``; None goes back to the start-up level.

    For tests and benchmarks. A kernel call reads the level once, so switching
    between calls is safe; calls already running finish on their level.
    """
    if name is None:
        fastnn_isa_set(_START)
        return
    if not isinstance(name, str):
        raise TypeError(f"set_isa: name must be a str or None, got {type(name).__name__}")
    lvl = _level_of(name)
    if lvl < 0 or not fastnn_isa_runs(lvl):
        raise ValueError(f"set_isa: name must be one of {available()} on this CPU, got {name!r}")
    fastnn_isa_set(lvl)
