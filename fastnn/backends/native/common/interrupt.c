/* fastnn's SIGINT handler and the interrupt flag that native kernels poll
 * (see interrupt.h). Compiled into the common/_interrupt module only, so the
 * process has one flag; the other native modules reach it through
 * interrupt_link.c. C programs that compile a kernel file on their own compile
 * this file beside it (nothing is installed unless they call install).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L   /* sigaction and pthread_self under -std=c99 */
#endif
#include <stddef.h>

#include "common/interrupt.h"

static fastnn_flag_t pending;   /* set by the handler; cleared by the wrappers */
static fastnn_flag_t never;     /* what other threads poll: never written */

#if !defined(_WIN32) && defined(SA_SIGINFO)
#include <pthread.h>
#include <time.h>

static struct sigaction previous;   /* Python's handler, which ours calls */
static pthread_t main_thread;       /* the thread that installed: Python's main thread */
static volatile int have_main;

/* Async-signal-safe: one store, then the previous handler (Python's only
 * records the signal and writes its wakeup fd). */
static void on_sigint(int sig, siginfo_t *info, void *context)
{
    pending = 1;
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != NULL) previous.sa_sigaction(sig, info, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    }
}

static int is_ours(const struct sigaction *act)
{
    return (act->sa_flags & SA_SIGINFO) && act->sa_sigaction == on_sigint;
}

int fastnn_interrupt_install(void)
{
    struct sigaction current, mine;
    if (sigaction(SIGINT, NULL, &current) != 0) return 0;
    if (is_ours(&current)) return 1;
    /* Ctrl-C ignored (nohup, a background job) or left to the default: nothing to chain */
    if (!(current.sa_flags & SA_SIGINFO)
            && (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN))
        return 0;
    previous = current;                 /* before the handler can run */
    fastnn_interrupt_note_main();
    mine = current;                     /* same mask and flags (Python's SA_ONSTACK) */
    mine.sa_flags = current.sa_flags | SA_SIGINFO;
    mine.sa_sigaction = on_sigint;
    return sigaction(SIGINT, &mine, NULL) == 0;
}

int fastnn_interrupt_installed(void)
{
    struct sigaction current;
    return sigaction(SIGINT, NULL, &current) == 0 && is_ours(&current);
}

int fastnn_interrupt_supported(void) { return 1; }

void fastnn_interrupt_note_main(void)
{
    main_thread = pthread_self();
    have_main = 1;
}

/* Linux's coarse clock (the last tick, a few ms old) reads in a few ns; the
 * 100 ms cadence needs no better. */
#ifdef CLOCK_MONOTONIC_COARSE
#define RECHECK_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define RECHECK_CLOCK CLOCK_MONOTONIC
#endif

int fastnn_interrupt_recheck_due(void)
{
    static long long last_ms = -1000000;   /* main thread only: no race */
    struct timespec now;
    if (!have_main || !pthread_equal(pthread_self(), main_thread)) return 0;
    if (clock_gettime(RECHECK_CLOCK, &now) != 0) return 0;
    const long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (ms - last_ms < 100) return 0;
    last_ms = ms;
    return 1;
}

fastnn_flag_t *fastnn_interrupt_watch(void)
{
    return have_main && pthread_equal(pthread_self(), main_thread) ? &pending : &never;
}

#else   /* no sigaction: nothing is installed, kernels run to their end */

int fastnn_interrupt_install(void) { return 0; }
int fastnn_interrupt_installed(void) { return 0; }
int fastnn_interrupt_supported(void) { return 0; }
void fastnn_interrupt_note_main(void) {}
int fastnn_interrupt_recheck_due(void) { return 0; }
fastnn_flag_t *fastnn_interrupt_watch(void) { (void)pending; return &never; }

#endif
