/* gemm.c: the matrix product every dense layer reduces to (row-major). */

/*@ gemm_rows */
/* c[m][j0..n) = a[m][k] b[k][j0..n): the plain i-p-j loop. It walks B and C
 * row by row, so the inner loop is a contiguous axpy that compilers vectorise
 * at -O2 without reordering sums (restrict: C never aliases A or B, so no
 * run-time overlap check is needed). */
static void gemm_rows(const float *restrict a, const float *restrict b, float *restrict c,
                      int m, int n, int k, int j0)
{
    int i, j, p;
    for (i = 0; i < m; i++) {
        float *cr = c + (long)i * n;
        for (j = j0; j < n; j++)
            cr[j] = 0.0f;
        for (p = 0; p < k; p++) {
            const float aip = a[(long)i * k + p];
            const float *br = b + (long)p * n;
            for (j = j0; j < n; j++)
                cr[j] += aip * br[j];
        }
    }
}

/*@ gemm_tile */
/* A 4 x 8 block of C: rows a[0..3] (row length k) by columns j..j+7. Its
 * accumulators are eight 4-float arrays (lo: columns j..j+3, hi: j+4..j+7)
 * that the compiler keeps in registers, one SIMD register each where it has
 * 4-float vectors (SSE2 at -O2), so each element of B read is used four
 * times, each of A eight times, and C is written once: four times faster
 * than gemm_rows for a convolution's products. */
static void gemm_tile(const float *restrict a, const float *restrict b, float *restrict c,
                      int n, int k, int j)
{
    float lo0[4], lo1[4], lo2[4], lo3[4], hi0[4], hi1[4], hi2[4], hi3[4];
    const float *a0 = a, *a1 = a + k, *a2 = a + 2 * (long)k, *a3 = a + 3 * (long)k;
    int p, v;
    for (v = 0; v < 4; v++)
        lo0[v] = lo1[v] = lo2[v] = lo3[v] = hi0[v] = hi1[v] = hi2[v] = hi3[v] = 0.0f;
    for (p = 0; p < k; p++) {
        const float *br = b + (long)p * n + j;
        const float x0 = a0[p], x1 = a1[p], x2 = a2[p], x3 = a3[p];
        for (v = 0; v < 4; v++) {
            lo0[v] += x0 * br[v];
            hi0[v] += x0 * br[v + 4];
            lo1[v] += x1 * br[v];
            hi1[v] += x1 * br[v + 4];
            lo2[v] += x2 * br[v];
            hi2[v] += x2 * br[v + 4];
            lo3[v] += x3 * br[v];
            hi3[v] += x3 * br[v + 4];
        }
    }
    for (v = 0; v < 4; v++) {
        float *c0 = c + j + v, *c1 = c0 + n, *c2 = c0 + 2 * (long)n, *c3 = c0 + 3 * (long)n;
        c0[0] = lo0[v];
        c0[4] = hi0[v];
        c1[0] = lo1[v];
        c1[4] = hi1[v];
        c2[0] = lo2[v];
        c2[4] = hi2[v];
        c3[0] = lo3[v];
        c3[4] = hi3[v];
    }
}

/*@ gemm_tile1 */
/* One row of C by columns j..j+15 (a row left over from the 4-row tiles, or
 * a Linear's one input row): four 4-float accumulators in registers. */
static void gemm_tile1(const float *restrict a, const float *restrict b, float *restrict c,
                       int n, int k, int j)
{
    float q0[4], q1[4], q2[4], q3[4];
    int p, v;
    for (v = 0; v < 4; v++)
        q0[v] = q1[v] = q2[v] = q3[v] = 0.0f;
    for (p = 0; p < k; p++) {
        const float *br = b + (long)p * n + j;
        const float x = a[p];
        for (v = 0; v < 4; v++) {
            q0[v] += x * br[v];
            q1[v] += x * br[v + 4];
            q2[v] += x * br[v + 8];
            q3[v] += x * br[v + 12];
        }
    }
    for (v = 0; v < 4; v++) {
        c[j + v] = q0[v];
        c[j + v + 4] = q1[v];
        c[j + v + 8] = q2[v];
        c[j + v + 12] = q3[v];
    }
}

/*@ gemm_nn gemm_rows gemm_tile gemm_tile1 */
/* C[m][n] = sum_k A[m][k] * B[k][n]: a convolution's weights times its im2col
 * matrix, or a batch of rows times a linear layer's transposed weights.
 * 4 x 8 tiles of C where they fit, 1 x 16 tiles for the rows left over (a
 * Linear at batch 1), gemm_rows for what is left after that. Every entry
 * sums over k in order, whichever way it is computed. */
static void gemm_nn(const float *restrict a, const float *restrict b, float *restrict c,
                    int m, int n, int k)
{
    int i = 0, j;
    for (; i + 4 <= m && n >= 8; i += 4) {
        for (j = 0; j + 8 <= n; j += 8)
            gemm_tile(a + (long)i * k, b, c + (long)i * n, n, k, j);
        if (j < n)
            gemm_rows(a + (long)i * k, b, c + (long)i * n, 4, n, k, j);
    }
    for (; i < m; i++) {
        for (j = 0; j + 16 <= n; j += 16)
            gemm_tile1(a + (long)i * k, b, c + (long)i * n, n, k, j);
        if (j < n)
            gemm_rows(a + (long)i * k, b, c + (long)i * n, 1, n, k, j);
    }
}
