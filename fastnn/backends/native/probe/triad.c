/* Memory bandwidth: STREAM's triad, a[i] = b[i] + s * c[i] (John McCalpin's
 * STREAM benchmark, www.cs.virginia.edu/stream), on float64 arrays the caller
 * makes several times larger than the last-level cache, so every pass goes
 * to main memory. Bytes moved are counted as STREAM does, 3 x 8 per element
 * (two reads, one write; the cache's read of a before writing it is not
 * counted). The loop vectorises at the generic level already: it waits on
 * memory, not on arithmetic, so one build serves every ISA level.
 */
#include "probe/probe.h"

void probe_triad(double *a, const double *b, const double *c, double s, long n, int nthreads)
{
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (long i = 0; i < n; i++)
        a[i] = b[i] + s * c[i];
    (void)nthreads;
}
