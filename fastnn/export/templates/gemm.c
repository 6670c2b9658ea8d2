/* gemm.c: the matrix product every dense layer reduces to (row-major).
 * Dispatched (see direct.c and fastnn/export/_templates.py): the four
 * functions below are written as one plain C copy and one AVX2 + FMA copy,
 * VECTOR_WIDTHS giving the copy's vector width VW (4 or 8 floats) and
 * MADD(a, b, c) its a * b + c. */

/*@ gemm_nn */
/* c[m][j0..n) = a[m][k] b[k][j0..n): the plain i-p-j loop. It walks B and C
 * row by row, so the inner loop is a contiguous axpy (restrict: C never
 * aliases A or B, so no run-time overlap check is needed). */
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
                cr[j] = MADD(aip, br[j], cr[j]);
        }
    }
}

/* A 4 x 2VW block of C: rows a[0..3] (row length k) by columns j..j+2VW-1.
 * Its accumulators are eight VW-float arrays (lo: columns j..j+VW-1, hi: the
 * next VW) that the compiler keeps in registers, one SIMD register each, so
 * each element of B read is used four times, each of A 2VW times, and C is
 * written once: four times faster than gemm_rows for a convolution's
 * products. */
static void gemm_tile(const float *restrict a, const float *restrict b, float *restrict c,
                      int n, int k, int j)
{
    VECTOR_WIDTHS
    float lo0[VW], lo1[VW], lo2[VW], lo3[VW], hi0[VW], hi1[VW], hi2[VW], hi3[VW];
    const float *a0 = a, *a1 = a + k, *a2 = a + 2 * (long)k, *a3 = a + 3 * (long)k;
    int p, v;
    for (v = 0; v < VW; v++)
        lo0[v] = lo1[v] = lo2[v] = lo3[v] = hi0[v] = hi1[v] = hi2[v] = hi3[v] = 0.0f;
    for (p = 0; p < k; p++) {
        const float *br = b + (long)p * n + j;
        const float x0 = a0[p], x1 = a1[p], x2 = a2[p], x3 = a3[p];
        for (v = 0; v < VW; v++) {
            lo0[v] = MADD(x0, br[v], lo0[v]);
            hi0[v] = MADD(x0, br[v + VW], hi0[v]);
            lo1[v] = MADD(x1, br[v], lo1[v]);
            hi1[v] = MADD(x1, br[v + VW], hi1[v]);
            lo2[v] = MADD(x2, br[v], lo2[v]);
            hi2[v] = MADD(x2, br[v + VW], hi2[v]);
            lo3[v] = MADD(x3, br[v], lo3[v]);
            hi3[v] = MADD(x3, br[v + VW], hi3[v]);
        }
    }
    for (v = 0; v < VW; v++) {
        float *c0 = c + j + v, *c1 = c0 + n, *c2 = c0 + 2 * (long)n, *c3 = c0 + 3 * (long)n;
        c0[0] = lo0[v];
        c0[VW] = hi0[v];
        c1[0] = lo1[v];
        c1[VW] = hi1[v];
        c2[0] = lo2[v];
        c2[VW] = hi2[v];
        c3[0] = lo3[v];
        c3[VW] = hi3[v];
    }
}

/* One row of C by columns j..j+4VW-1 (a row left over from the 4-row tiles,
 * or a Linear's one input row): four VW-float accumulators in registers. */
static void gemm_tile1(const float *restrict a, const float *restrict b, float *restrict c,
                       int n, int k, int j)
{
    VECTOR_WIDTHS
    float q0[VW], q1[VW], q2[VW], q3[VW];
    int p, v;
    for (v = 0; v < VW; v++)
        q0[v] = q1[v] = q2[v] = q3[v] = 0.0f;
    for (p = 0; p < k; p++) {
        const float *br = b + (long)p * n + j;
        const float x = a[p];
        for (v = 0; v < VW; v++) {
            q0[v] = MADD(x, br[v], q0[v]);
            q1[v] = MADD(x, br[v + VW], q1[v]);
            q2[v] = MADD(x, br[v + 2 * VW], q2[v]);
            q3[v] = MADD(x, br[v + 3 * VW], q3[v]);
        }
    }
    for (v = 0; v < VW; v++) {
        c[j + v] = q0[v];
        c[j + v + VW] = q1[v];
        c[j + v + 2 * VW] = q2[v];
        c[j + v + 3 * VW] = q3[v];
    }
}

/* C[m][n] = sum_k A[m][k] * B[k][n]: a convolution's weights times its im2col
 * matrix, or a batch of rows times a linear layer's transposed weights.
 * 4 x 2VW tiles of C where they fit, 1 x 4VW tiles for the rows left over (a
 * Linear at batch 1), gemm_rows for what is left after that. Every entry
 * sums over k in order, whichever way it is computed. */
static void gemm_nn(const float *restrict a, const float *restrict b, float *restrict c,
                    int m, int n, int k)
{
    VECTOR_WIDTHS
    int i = 0, j;
    for (; i + 4 <= m && n >= 2 * VW; i += 4) {
        for (j = 0; j + 2 * VW <= n; j += 2 * VW)
            gemm_tile(a + (long)i * k, b, c + (long)i * n, n, k, j);
        if (j < n)
            gemm_rows(a + (long)i * k, b, c + (long)i * n, 4, n, k, j);
    }
    for (; i < m; i++) {
        for (j = 0; j + 4 * VW <= n; j += 4 * VW)
            gemm_tile1(a + (long)i * k, b, c + (long)i * n, n, k, j);
        if (j < n)
            gemm_rows(a + (long)i * k, b, c + (long)i * n, 1, n, k, j);
    }
}
