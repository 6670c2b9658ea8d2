/* Rung 3 of the GEMM ladder (ladder.h): blocking. Rung 2's loops, but over
 * tiles sized so that what is reused stays close to the arithmetic.
 *
 * For one tile, rows [i0, i0+MB) of C x columns [j0, j0+NB) x depth [p0, p0+KB):
 *   - the B tile (KB x NB floats) is read once per row of the C tile, MB
 *     times: 256 x 256 x 4 bytes = 256 KiB sits in L2 (1-2 MiB per core on
 *     current x86, 512 KiB at least on older or smaller cores);
 *   - one row of the C tile (NB floats, 1 KiB) is read and written for every
 *     row of the B tile: it sits in L1 (32-48 KiB);
 * so B comes from main memory once per MB rows of A instead of once per row
 * (rung 2). MB only sets how often the B tile is reused before moving on;
 * 64 rows amortise bringing it into L2.
 *
 * With the data in L1, the loads and stores themselves set the pace: rung 2
 * loads and stores C for every row of B, two of its three memory operations
 * per multiply-add. Blocking the depth once more, four rows of B per pass
 * over the C row, halves them. The inner loop still vectorises.
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
                const long width = min_l(NB, n - j0), p1 = min_l(p0 + KB, k), i1 = min_l(i0 + MB, m);
                for (long i = i0; i < i1; i++) {
                    const float *ai = a + i * k;
                    float *ci = c + i * n + j0;
                    long p = p0;
                    for (; p + 4 <= p1; p += 4) {       /* four rows of B per pass over C */
                        const float *b0 = b + p * n + j0, *b1 = b0 + n, *b2 = b1 + n, *b3 = b2 + n;
                        for (long j = 0; j < width; j++)
                            ci[j] += ai[p] * b0[j] + ai[p + 1] * b1[j] + ai[p + 2] * b2[j] + ai[p + 3] * b3[j];
                    }
                    for (; p < p1; p++) {               /* the last few rows, one at a time */
                        const float *bp = b + p * n + j0;
                        for (long j = 0; j < width; j++)
                            ci[j] += ai[p] * bp[j];
                    }
                }
            }
}
