/* Rung 2 of the GEMM ladder (ladder.h): the same arithmetic, loops in the order
 * i, p, j.
 *
 * Now the inner loop reads a row of B and updates a row of C, both contiguous,
 * and its iterations are independent (each j has its own C[i][j]), so the
 * compiler turns it into vector instructions: 4 floats at a time with the
 * portable SSE2 baseline, with no change to the source. Every cache line is
 * used whole. What is left: each step loads and stores C, so loads and
 * stores, not arithmetic, set the pace; and for large n the row of C and all
 * of B no longer fit in cache, so B streams from memory once per row of A.
 */
#include "ladder/ladder.h"

void ladder_loop_order(long m, long n, long k, const float *a, const float *b, float *c)
{
    for (long i = 0; i < m; i++) {
        float *ci = c + i * n;
        for (long j = 0; j < n; j++) ci[j] = 0.0f;
        for (long p = 0; p < k; p++) {
            const float aip = a[i * k + p];
            const float *bp = b + p * n;
            for (long j = 0; j < n; j++)
                ci[j] += aip * bp[j];
        }
    }
}
