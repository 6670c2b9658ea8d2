/* The machine's two limits, measured for the roofline of `python -m fastnn.bench
 * --roofline` (fastnn/bench/roofline.py):
 *
 *   fma_peak.c  peak arithmetic: multiply-adds on registers only, per ISA level
 *   triad.c     memory bandwidth: STREAM's triad a = b + s*c, over arrays much
 *               larger than the last-level cache, or inside a cache
 *
 * Timing is done by the caller (Python, around one call without the GIL).
 */
#ifndef FASTNN_PROBE_H
#define FASTNN_PROBE_H

/* iters steps of the level's FMA loop on each of nthreads threads; returns the
 * floating-point operations done (2 per multiply-add, all threads together). */
double probe_fma(int isa, long iters, int nthreads);
/* reps passes of a[i] = b[i] + s * c[i] for i < n, the indices split over
 * nthreads threads (s changes a little every pass). */
void probe_triad(double *a, const double *b, const double *c, double s, long n, long reps,
                 int nthreads);

#endif
