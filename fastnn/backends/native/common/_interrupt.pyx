# distutils: sources = fastnn/backends/native/common/interrupt.c
"""Ctrl-C inside native kernels: the C-level SIGINT handler and the flag that
every native family's long loops poll (interrupt.h, docs/interrupts.md).

Installed when this module is first imported (the first native import) if all
of these hold: the import runs on the main thread, SIGINT's Python handler is
still signal.default_int_handler (a handler of the user's own is left alone),
the platform has sigaction, and FASTNN_FAST_INTERRUPT is not "0". The handler
sets the flag and calls Python's, so KeyboardInterrupt is raised as always,
only sooner: a kernel stops within a step and its wrapper raises. A later
signal.signal(SIGINT, ...) replaces it (the user's handler wins). When
SIGINT's handler is signal.default_int_handler again (code that restored it,
Jupyter around each cell), the next native call on the main thread puts it
back (looking at most every 100 ms), as does
fastnn.backends.native.install_interrupt_handler().
"""
import os
import signal
import threading


cdef extern from "common/interrupt.h" nogil:
    int fastnn_interrupt_install()
    int fastnn_interrupt_installed()
    int fastnn_interrupt_supported()
    void fastnn_interrupt_note_main()
    int fastnn_interrupt_recheck_due()

cdef bint enabled = os.environ.get("FASTNN_FAST_INTERRUPT", "1").strip() != "0"


cdef fastnn_flag_t *watch() noexcept nogil:
    return fastnn_interrupt_watch()


cdef int recheck() except -1:
    # one clock read on the main thread, nothing elsewhere (interrupt.c)
    if enabled and fastnn_interrupt_recheck_due() and not fastnn_interrupt_installed():
        install()
    return 0


def supported():
    """Whether this platform has the C-level handler (sigaction)."""
    return bool(fastnn_interrupt_supported())


def installed():
    """Whether fastnn's handler is SIGINT's handler now."""
    return bool(fastnn_interrupt_installed())


def install():
    """Put fastnn's handler in front of Python's default SIGINT handler; returns installed().

    Does nothing (returns False) off the main thread, when SIGINT's Python
    handler is not signal.default_int_handler (the user's own, SIG_IGN,
    SIG_DFL), or where the platform has no sigaction.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    return bool(fastnn_interrupt_install())


if threading.current_thread() is threading.main_thread():
    fastnn_interrupt_note_main()
    if enabled:
        install()
