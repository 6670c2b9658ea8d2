/* Rung 5 of the GEMM ladder (ladder.h): rung 4 on every core, with OpenMP.
 *
 * The rows of C are split into one slab per thread, whole MR-row tiles each,
 * and every thread runs rung 4 on its slab with its own packing buffers. The
 * threads share nothing they write: no lock, no barrier inside the product,
 * and a tile's sum runs in the same order whatever the team, so the result
 * does not depend on the thread count. The price: every thread packs all of
 * B for itself, about 1/(rows per thread) of its multiply-adds. A matrix with
 * fewer tile rows than threads leaves some idle; fastnn's GEMM splits columns
 * instead when C is wide.
 *
 * nthreads is fastnn's thread count (fastnn.set_num_threads); fastnn's own
 * GEMM also keeps products too small to repay waking the team on one thread
 * (common/parallel.h), which this rung leaves out.
 */
#include "ladder/ladder.h"

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_thread_num(void) { return 0; }
static int omp_get_num_threads(void) { return 1; }
#endif

int ladder_threads(int isa, long m, long n, long k, const float *a, const float *b, float *c,
                   int nthreads)
{
    const long tiles = (m + LADDER_MR - 1) / LADDER_MR;
    int failed = 0;
#pragma omp parallel num_threads(nthreads) reduction(| : failed)
    {
        const long t = omp_get_thread_num(), nt = omp_get_num_threads();
        const long r0 = tiles * t / nt * LADDER_MR;
        long r1 = tiles * (t + 1) / nt * LADDER_MR;
        if (r1 > m) r1 = m;
        if (r1 > r0)
            failed |= ladder_packed(isa, r1 - r0, n, k, a + r0 * k, b, c + r0 * n) != 0;
    }
    (void)nthreads;     /* unused without OpenMP */
    return failed ? -1 : 0;
}
