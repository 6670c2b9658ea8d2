# The one loop shell of the native entry points (conv, pool, optim): run a
# body over n independent items (samples, blocks, planes, channels, thread
# ranges) on an OpenMP team, and, for the interruptible ones, under the Ctrl-C
# watch of common/interrupt.h. Each entry point packs its arguments into a
# struct of its own (the "job"), and writes the work of one item as a body
#     cdef void _item(const void *job, Py_ssize_t i, int thread,
#                     const fastnn_flag_t *stop) noexcept nogil
# then calls
#     run_items(_item, &job, n, nt)        # Ctrl-C stops it, raises KeyboardInterrupt
#     each_item(_item, &job, n, nt, NULL)  # runs to its end (nogil)
# A body reaches its item's data through the job (the body is a plain C
# function, so one per dtype where the arrays are fused: the job says which).
# The body is called through a pointer, once per item: a few cycles beside an
# item's work (one plane, sample or block at the least).
from cython.parallel cimport prange, threadid

from ._interrupt cimport fastnn_flag_t, fastnn_stopped, fastnn_interrupt_watch, before, after

ctypedef void (*fastnn_item_fn)(const void *job, Py_ssize_t item, int thread,
                                const fastnn_flag_t *stop) noexcept nogil


cdef inline void each_item(fastnn_item_fn body, const void *job, Py_ssize_t n, int nt,
                           const fastnn_flag_t *stop) noexcept nogil:
    """body(job, i, thread, stop) for i in range(n): split statically over nt
    OpenMP threads (thread = the OpenMP thread number, < nt) when nt > 1, else
    in turn on the calling thread (thread 0). With stop (not NULL) set, the
    items not yet begun are skipped; a body may poll it too."""
    cdef Py_ssize_t i
    if nt > 1:
        for i in prange(n, schedule="static", num_threads=nt):
            if stop == NULL or not fastnn_stopped(stop):
                body(job, i, threadid(), stop)
    else:
        for i in range(n):
            if stop != NULL and fastnn_stopped(stop):
                break
            body(job, i, 0, stop)


cdef inline int run_items(fastnn_item_fn body, const void *job, Py_ssize_t n,
                          int nt) except -1:
    """each_item under the Ctrl-C watch, GIL released: a Ctrl-C pending before
    it raises KeyboardInterrupt at once, one arriving while it runs stops it
    within an item (the body's own polls: within a chunk) and raises
    KeyboardInterrupt after (common/_interrupt.pxd: before/after)."""
    cdef const fastnn_flag_t *stop = fastnn_interrupt_watch()
    before()
    with nogil:
        each_item(body, job, n, nt, stop)
    after()
    return 0
