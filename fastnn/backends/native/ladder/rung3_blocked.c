/* Rung 3 of the GEMM ladder (ladder.h): blocking. Rung 2's arithmetic, but
 * over tiles sized so that what is reused stays close to it.
 *
 * For one tile, rows [i0, i0+MB) of C x columns [j0, j0+NB) x depth [p0, p0+KB):
 *   - the B tile (KB x NB floats: 256 x 256 x 4 bytes = 256 KiB) sits in L2
 *     (1-2 MiB per core on current x86, 512 KiB at least on older or smaller
 *     cores) while all MB rows of C use it, so B comes from main memory once
 *     per MB rows of A instead of once per row (rung 2);
 *   - four rows of the B tile at a time (4 KiB) sit in L1 (32-48 KiB) while
 *     they update every row of the C tile, which (MB x NB = 32 KiB) stays in
 *     L1 and L2 while the tile's depth is summed into it.
 * Four rows of B per pass over a row of C also halve the loads and stores of
 * C, two of rung 2's three memory operations per multiply-add: with the data
 * in cache, those are what set its pace. The inner loop still vectorises.
 */
#include "ladder/ladder.h"

#define MB 32
#define NB 256
#define KB 256

static long min_l(long x, long y) { return x < y ? x : y; }

void ladder_blocked(long m, long n, long k, const float *a, const float *b, float *c)
{
    for (long i = 0; i < m * n; i++) c[i] = 0.0f;
    for (long j0 = 0; j0 < n; j0 += NB)
        for (long p0 = 0; p0 < k; p0 += KB)
            for (long i0 = 0; i0 < m; i0 += MB) {
                const long width = min_l(NB, n - j0), p1 = min_l(p0 + KB, k), i1 = min_l(i0 + MB, m);
                long p = p0;
                for (; p + 4 <= p1; p += 4) {           /* four rows of B ... */
                    const float *b0 = b + p * n + j0, *b1 = b0 + n, *b2 = b1 + n, *b3 = b2 + n;
                    for (long i = i0; i < i1; i++) {    /* ... for every row of the C tile */
                        const float *ai = a + i * k + p;
                        float *ci = c + i * n + j0;
                        for (long j = 0; j < width; j++)
                            ci[j] += ai[0] * b0[j] + ai[1] * b1[j] + ai[2] * b2[j] + ai[3] * b3[j];
                    }
                }
                for (; p < p1; p++) {                   /* the last few rows of B, one at a time */
                    const float *bp = b + p * n + j0;
                    for (long i = i0; i < i1; i++) {
                        float *ci = c + i * n + j0;
                        for (long j = 0; j < width; j++)
                            ci[j] += a[i * k + p] * bp[j];
                    }
                }
            }
}
