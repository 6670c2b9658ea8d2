# Ctrl-C inside native kernels (interrupt.h): the flag that the _interrupt
# module's SIGINT handler sets, shared with every other native module. Each
# cimports `watch` (Cython fetches it from _interrupt's __pyx_capi__ when the
# module is imported) and hands it to its own C code,
#     from ..common cimport _interrupt
#     _interrupt.fastnn_interrupt_link(_interrupt.watch)
# and wraps every kernel call that polls the flag in before() / after():
#     _interrupt.before()
#     with nogil:
#         ... the kernel ...
#     _interrupt.after()
from cpython.exc cimport PyErr_CheckSignals

cdef extern from "common/interrupt.h" nogil:
    ctypedef int fastnn_flag_t          # volatile sig_atomic_t
    ctypedef fastnn_flag_t *(*fastnn_watch_fn)() noexcept nogil
    fastnn_flag_t *fastnn_interrupt_watch()
    void fastnn_interrupt_link(fastnn_watch_fn watch)   # interrupt_link.c, in the importing module
    int fastnn_stopped(const fastnn_flag_t *stop)
    int fastnn_interrupt_take()

cdef fastnn_flag_t *watch() noexcept nogil
cdef int recheck() except -1     # puts the handler back if signal.signal() removed it


cdef inline int before() except -1:
    """Before a kernel: at most every 100 ms, put the handler back in front of
    Python's default one if signal.signal() has replaced it. Then a flag left
    set by a Ctrl-C that Python has already handled is cleared (the kernel
    would stop at once); one whose KeyboardInterrupt is still pending raises it
    now."""
    recheck()
    if fastnn_interrupt_take():
        PyErr_CheckSignals()
    return 0


cdef inline int after() except -1:
    """After a kernel: if Ctrl-C arrived while it ran, it may have stopped
    early, so its outputs must not be used. Run Python's handler now (it
    raises KeyboardInterrupt); should it not raise, raise KeyboardInterrupt
    anyway rather than return unfinished outputs."""
    if fastnn_interrupt_take():
        PyErr_CheckSignals()
        raise KeyboardInterrupt
    return 0
