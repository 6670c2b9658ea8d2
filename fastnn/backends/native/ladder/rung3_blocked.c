/* Rung 3 of the GEMM ladder (ladder.h): cache blocking. Rung 2's loops, but
 * over tiles sized so that what is reused stays in cache.
 *
 * For one tile, rows [i0, i0+MB) of C x columns [j0, j0+NB) x depth [p0, p0+KB):
 *   - the B tile (KB x NB floats) is read once per row of the C tile, MB
 *     times: 256 x 256 x 4 bytes = 256 KiB sits in L2 (1-2 MiB per core on
 *     current x86, 512 KiB at least on older or smaller cores);
 *   - one row of the C tile (NB floats, 1 KiB) is read and written KB times:
 *     it sits in L1 (32-48 KiB);
 * so B comes from main memory once per MB rows of A instead of once per row
 * (rung 2), and C's traffic stays in L1. MB only sets how often the B tile
 * is reused before moving on; 64 rows amortise bringing it into L2.
 * The inner loop is rung 2's and still vectorises.
 */
#include "ladder/ladder.h"

#define MB 64
#define NB 256
#define KB 256

static long min_l(long x, long y) { return x < y ? x : y; }

void ladder_blocked(long m, long n, long k, const float *a, const float *b, float *c)
{
    for (long i = 0; i < m * n; i++) c[i] = 0.0f;
    for (long j0 = 0; j0 < n; j0 += NB)
        for (long p0 = 0; p0 < k; p0 += KB)
            for (long i0 = 0; i0 < m; i0 += MB) {
                const long j1 = min_l(j0 + NB, n), p1 = min_l(p0 + KB, k), i1 = min_l(i0 + MB, m);
                for (long i = i0; i < i1; i++) {
                    float *ci = c + i * n;
                    for (long p = p0; p < p1; p++) {
                        const float aip = a[i * k + p];
                        const float *bp = b + p * n;
                        for (long j = j0; j < j1; j++)
                            ci[j] += aip * bp[j];
                    }
                }
            }
}
