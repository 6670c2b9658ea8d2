/* gemm.c: the matrix product every dense layer reduces to (row-major). */

/*@ gemm_nn */
/* C[m][n] = sum_k A[m][k] * B[k][n]: a convolution's weights times its im2col
 * matrix, or a batch of rows times a linear layer's transposed weights. The
 * i-p-j loop order walks B and C row by row, so the inner loop is a
 * contiguous axpy that compilers vectorise at -O2 without reordering sums
 * (restrict: C never aliases A or B, so no run-time overlap check is needed). */
static void gemm_nn(const float *restrict a, const float *restrict b, float *restrict c,
                    int m, int n, int k)
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
