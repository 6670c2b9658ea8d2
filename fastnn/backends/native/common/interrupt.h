/* Ctrl-C inside native kernels: a flag that fastnn's SIGINT handler sets and
 * the long loops poll, so that a kernel stops within a step instead of running
 * to its end while Python's KeyboardInterrupt waits for it.
 *
 * Python runs its signal handlers between bytecodes only, so a kernel that
 * releases the GIL for seconds never sees one. interrupt.c (compiled into the
 * common/_interrupt module) installs a C handler in front of Python's own: it
 * sets the flag and calls Python's handler, which still records the signal as
 * usual. A kernel call asks, on its calling thread, for the flag to poll
 * (fastnn_interrupt_watch): the real flag on the main thread, which is where
 * Python raises KeyboardInterrupt, and a flag that is never set on any other
 * thread, whose kernels must run to their end. Loops poll it at a coarse grain
 * (a time step, an image, a block of tiles: one load) and leave early; OpenMP
 * teams leave together (see the callers). The outputs of a stopped kernel are
 * unspecified: the Cython wrapper (common/_interrupt.pxd: before/after) raises
 * KeyboardInterrupt whenever the flag is set when the kernel returns, so they
 * are never seen.
 *
 * The other native modules reach the _interrupt module's flag through a
 * function pointer handed over at import (interrupt_link.c), as with the ISA
 * level (isa.h). Where the platform has no sigaction (Windows), nothing is
 * installed and the flag is never set: kernels run to their end, as before.
 * Docs: docs/interrupts.md.
 */
#ifndef FASTNN_INTERRUPT_H
#define FASTNN_INTERRUPT_H

#include <signal.h>

/* Written by the signal handler, read by kernels on any thread: a whole
 * sig_atomic_t store and load, no lock. */
typedef volatile sig_atomic_t fastnn_flag_t;
typedef fastnn_flag_t *(*fastnn_watch_fn)(void);

/* The flag a kernel called on this thread polls (see above). Defined in
 * interrupt.c for the _interrupt module and in interrupt_link.c for the
 * others. Call it on the thread that called the kernel, not inside an OpenMP
 * region's worker, and pass the pointer down. */
fastnn_flag_t *fastnn_interrupt_watch(void);

/* interrupt_link.c: point this module's fastnn_interrupt_watch at _interrupt's. */
void fastnn_interrupt_link(fastnn_watch_fn watch);

/* interrupt.c only. install: put the chained handler in front of the current
 * SIGINT handler when that is a function (Python's), from the main thread;
 * returns 1 when it is in place. installed: 1 while it is the process's SIGINT
 * handler (signal.signal() replaces it). supported: 0 where there is no
 * sigaction. */
int fastnn_interrupt_install(void);
int fastnn_interrupt_installed(void);
int fastnn_interrupt_supported(void);

/* interrupt.c only. note_main: remember the calling thread as the main one
 * (the _interrupt module's import does, on the main thread). recheck_due: 1
 * on that thread when the last call that answered 1 was at least 100 ms ago,
 * so that the wrappers look again whether signal.signal() has replaced the
 * handler (Jupyter restores SIGINT's handler around every cell) at a cost of
 * one clock read per kernel call. */
void fastnn_interrupt_note_main(void);
int fastnn_interrupt_recheck_due(void);

/* Has an interrupt arrived? The poll of the long loops. */
static inline int fastnn_stopped(const fastnn_flag_t *stop) { return *stop != 0; }

/* For the wrappers: whether this thread's flag is set, clearing it. */
static inline int fastnn_interrupt_take(void)
{
    fastnn_flag_t *flag = fastnn_interrupt_watch();
    if (*flag == 0) return 0;
    *flag = 0;
    return 1;
}

#endif
