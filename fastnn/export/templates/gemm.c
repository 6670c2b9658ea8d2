/* gemm.c: the two matrix products every dense layer reduces to (row-major). */

/*@ gemm_nt */
/* C[m][n] = sum_k A[m][k] * B[n][k]: a linear layer, x times W transposed
 * (each output is the dot product of an input row with a weight row). */
static void gemm_nt(const float *a, const float *b, float *c, int m, int n, int k)
{
    int i, j, p;
    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            const float *ar = a + (long)i * k;
            const float *br = b + (long)j * k;
            float acc = 0.0f;
            for (p = 0; p < k; p++)
                acc += ar[p] * br[p];
            c[(long)i * n + j] = acc;
        }
    }
}

/*@ gemm_nn */
/* C[m][n] = sum_k A[m][k] * B[k][n]: a convolution's weights times its im2col
 * matrix. The i-p-j loop order walks B and C row by row. */
static void gemm_nn(const float *a, const float *b, float *c, int m, int n, int k)
{
    int i, j, p;
    for (i = 0; i < m; i++) {
        float *cr = c + (long)i * n;
        for (j = 0; j < n; j++)
            cr[j] = 0.0f;
        for (p = 0; p < k; p++) {
            const float aip = a[(long)i * k + p];
            const float *br = b + (long)p * n;
            for (j = 0; j < n; j++)
                cr[j] += aip * br[j];
        }
    }
}
