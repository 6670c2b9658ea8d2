/* Memory bandwidth: STREAM's triad, a[i] = b[i] + s * c[i] (John McCalpin's
 * STREAM benchmark, www.cs.virginia.edu/stream), on float64 arrays. Bytes
 * moved are counted as STREAM does, 3 x 8 per element (two reads, one write;
 * the cache's read of a before writing it is not counted). The caller sizes
 * the arrays for the level it measures: several times the last-level cache
 * for main memory, a fraction of a cache for that cache.
 *
 * reps passes run inside one parallel region, each thread on the same static
 * share of the indices every pass, so no barrier is needed between passes
 * and small, cache-sized arrays are not swamped by the cost of a region. The
 * loop vectorises at the generic level already: it waits on memory, not on
 * arithmetic, so one build serves every ISA level.
 */
#include "probe/probe.h"

void probe_triad(double *a, const double *b, const double *c, double s, long n, long reps,
                 int nthreads)
{
#pragma omp parallel num_threads(nthreads)
    for (long r = 0; r < reps; r++) {
        const double sr = s + (double)r;    /* every pass differs: none can be skipped */
#pragma omp for schedule(static) nowait
        for (long i = 0; i < n; i++)
            a[i] = b[i] + sr * c[i];
    }
    (void)nthreads;
}
