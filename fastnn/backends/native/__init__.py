"""Native (Cython/C) kernels, one folder per family.

Each family folder (``gemm/``, ``conv/``, ``pool/``, ``rnn/``, ``elementwise/``)
holds the wrapper (its ``__init__.py``: validates inputs in Python, then calls
the compiled ``_<family>`` module without the GIL), that ``.pyx`` and its C
kernels. ``common/`` holds what they share: the CPU dispatch (``_isa``, isa.h),
the thread policy (parallel.h), index ranges and the OpenMP controls. The GEMM
is compiled once, into ``gemm/_gemm``; conv and rnn call it through function
pointers handed over at import.

CPU dispatch: every family has a build of its hot loops per instruction-set
level and runs the one chosen once per process, by default the best this CPU
executes. The environment variable ``FASTNN_ISA`` (``avx512``, ``avx2``,
``generic``) forces a level; see :func:`isa`.

Ctrl-C: the long loops poll a flag that fastnn's SIGINT handler sets, so
KeyboardInterrupt arrives within a step of a kernel rather than at its end
(common/interrupt.h, docs/interrupts.md); see :func:`install_interrupt_handler`.
"""

__all__ = ["isa", "available_isas", "set_isa", "interrupt_handler_installed",
           "install_interrupt_handler"]


def isa():
    """The instruction-set level the native kernels run: 'avx512', 'avx2' or 'generic'.

    Chosen at the first native import: the best level this CPU executes, or
    the one the environment variable FASTNN_ISA names. A FASTNN_ISA value that
    is unknown, or names a level this CPU or build cannot run, gives a
    RuntimeWarning and the best available level at or below it.
    """
    from .common import _isa
    return _isa.current()


def available_isas():
    """The levels this CPU and this build can run, best first, e.g. ['avx512', 'avx2', 'generic']."""
    from .common import _isa
    return _isa.available()


def set_isa(name=None):
    """Run every native family at level ``name`` from now on (None: the start-up level).

    For tests and benchmarks; raises ValueError for a level not in
    available_isas(). A kernel call reads the level once, so this is safe
    between calls.
    """
    from .common import _isa
    _isa.set_current(name)
    import sys
    gemm = sys.modules.get(__name__ + ".gemm")
    if gemm is not None:
        gemm._refresh_variant()  # its engine choice depends on the level


def interrupt_handler_installed():
    """Whether fastnn's SIGINT handler is in place, so Ctrl-C stops a running native kernel.

    It is put in front of Python's default handler when fastnn is imported on
    the main thread, unless SIGINT already has another handler or
    FASTNN_FAST_INTERRUPT=0. A later ``signal.signal(SIGINT, ...)`` replaces
    it: the user's handler is then called as usual, after the kernel that is
    running finishes. Once SIGINT's handler is ``signal.default_int_handler``
    again, the next native call on the main thread puts fastnn's back (it
    looks at most every 100 ms). See docs/interrupts.md.
    """
    from .common import _interrupt
    return _interrupt.installed()


def install_interrupt_handler():
    """Put fastnn's SIGINT handler back in front of Python's default one; returns
    :func:`interrupt_handler_installed`.

    For code that restored ``signal.default_int_handler`` with ``signal.signal``
    (which removes fastnn's). Does nothing, and returns False, on a thread other
    than the main one, while SIGINT has a handler other than
    ``signal.default_int_handler``, or where the platform has no sigaction
    (Windows).
    """
    from .common import _interrupt
    return _interrupt.install()
