/* Rung 1 of the GEMM ladder (ladder.h): the formula C[i][j] = sum_p A[i][p] B[p][j]
 * as three loops.
 *
 * The inner loop walks down a column of B: consecutive p are n floats apart,
 * so every multiply-add touches a new cache line (and, for large n, a new
 * page). Each line brings 16 floats of which one is used; B is read m times
 * over. The loop is also one long chain of dependent additions into s, which
 * the compiler may not reorder (float addition is not associative), so it
 * cannot use vector registers either. Memory latency sets the speed.
 */
#include "ladder/ladder.h"

void ladder_naive(long m, long n, long k, const float *a, const float *b, float *c)
{
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            float s = 0.0f;
            for (long p = 0; p < k; p++)
                s += a[i * k + p] * b[p * n + j];
            c[i * n + j] = s;
        }
}
