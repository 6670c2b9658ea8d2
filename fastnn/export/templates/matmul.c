/* matmul.c: a @ b with NumPy's rules, as fastnn's MatMul Function computes it
 * (fastnn/ops/arithmetic.py): a stack of matrix products over the broadcast
 * batch dims, each one gemm_nn. A 1-D operand is one row (a) or one column
 * (b), so its product is laid out like the squeezed result. */

/*@ matmul gemm_nn */
/* c[batch][m][n] = a[.][m][k] b[.][k][n]; the exporter lists where each
 * product's operands start (a_off, b_off: broadcasting repeats offsets). */
static void matmul(const float *a, const int *a_off, const float *b, const int *b_off,
                   float *c, int batch, int m, int n, int k)
{
    int i;
    for (i = 0; i < batch; i++)
        gemm_nn(a + a_off[i], b + b_off[i], c + (long)i * m * n, m, n, k);
}
