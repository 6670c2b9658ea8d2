/* When a native kernel uses more than one OpenMP thread: one policy for all of them.
 *
 * Idle OpenMP threads spin about as long as a wake-up costs (~25-50 us), then
 * sleep (GOMP_SPINCOUNT, see fastnn/__init__.py). Waking a sleeping team costs
 * up to ~100 us on the 2-core development VMs (a 64k-element relu: 9 us on one
 * thread, 112 us on two). Work below these sizes runs on the calling thread;
 * the thresholds are where two threads started to win when every region paid
 * that wake-up (relu break-even ~1M elements): on the safe side whenever
 * back-to-back regions find the team still spinning.
 */
#ifndef FASTNN_PARALLEL_H
#define FASTNN_PARALLEL_H

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The thresholds come from the environment, read once per extension:
 *   FASTNN_PAR_MIN_ELEMS, FASTNN_PAR_MIN_MACS  the break-even points measured
 *       on this machine by fastnn/backends/native/tuning.py, which sets them
 *       from its per-CPU cache before the first kernel runs (or the user);
 *   FASTNN_PAR_MIN_SCALE multiplies both: the tests set it to 0 so that
 *       their small inputs take the multi-threaded paths too.
 * Without a measurement the defaults below apply. */
static inline double fastnn_env_double(const char *name, double fallback)
{
    const char *env = getenv(name);
    if (env == NULL || *env == '\0') return fallback;
    char *end;
    double v = strtod(env, &end);
    return (end != env && v >= 0) ? v : fallback;
}

/* A threshold read once into *cache: the named setting (or fallback) times the scale. */
static inline double fastnn_threshold(double *cache, const char *name, double fallback)
{
    if (*cache < 0)
        *cache = fastnn_env_double(name, fallback) * fastnn_env_double("FASTNN_PAR_MIN_SCALE", 1.0);
    return *cache;
}

static inline double fastnn_par_min_elems(void)
{
    static double cache = -1.0;
    return fastnn_threshold(&cache, "FASTNN_PAR_MIN_ELEMS", (double)(1L << 20));
}

static inline double fastnn_par_min_macs(void)
{
    static double cache = -1.0;
    return fastnn_threshold(&cache, "FASTNN_PAR_MIN_MACS", (double)(1L << 23));
}

/* elementwise and pooling passes: elements touched */
#define FASTNN_PAR_MIN_ELEMS fastnn_par_min_elems()
/* matrix products and convolutions: multiply-adds */
#define FASTNN_PAR_MIN_MACS fastnn_par_min_macs()

/* The team size for `work` units of a kind whose threshold is `min_work`. */
static inline int fastnn_team(double work, double min_work)
{
#ifdef _OPENMP
    if (work >= min_work && !omp_in_parallel()) {
        int n = omp_get_max_threads();
        return n > 1 ? n : 1;
    }
#else
    (void)work; (void)min_work;
#endif
    return 1;
}

#endif
