/* contract.c: einsum as one loop nest over the equation's letters
 * (batch, rows, columns and summed letters alike): y[iy] += a[ia] * b[ib],
 * each operand read through one stride per letter (0 for a letter it lacks
 * or broadcasts, the sum of its strides for a repeated letter, a diagonal).
 * The output's letters come first, the summed ones last, so each output
 * element's sum runs in one stretch, accumulated in double; the last summed
 * letter is a plain inner loop (matmul has matmul.c, on gemm_nn). Reference:
 * np.einsum in fastnn/ops/indexing.py (Einsum). */

/*@ contract */
#ifndef MAX_LETTERS
#define MAX_LETTERS 16
#endif

/* shape[0..nout) are the output's letters, shape[nout..n) the summed ones */
static void contract(const float *a, const int *as, const float *b, const int *bs, float *y,
                     const int *shape, int n, int nout)
{
    int idx[MAX_LETTERS] = {0};
    long outs = 1, sums = 1, o, s, t, ia = 0, ib = 0, len = 1, sa = 0, sb = 0;
    int d, odo = n;
    for (d = 0; d < nout; d++)
        outs *= shape[d];
    if (n > nout) { /* the innermost summed letter runs in the t loop below */
        odo = n - 1;
        len = shape[odo];
        sa = as[odo];
        sb = bs[odo];
    }
    for (d = nout; d < odo; d++)
        sums *= shape[d];
    for (o = 0; o < outs; o++) {
        double acc = 0.0;
        for (s = 0; s < sums; s++) {
            for (t = 0; t < len; t++)
                acc += (double)a[ia + t * sa] * b[ib + t * sb];
            /* the odometer over the other letters, last fastest: the summed
             * ones wrap back to 0 once per output element */
            for (d = odo - 1; d >= 0; d--) {
                ia += as[d];
                ib += bs[d];
                if (++idx[d] < shape[d])
                    break;
                ia -= (long)as[d] * shape[d];
                ib -= (long)bs[d] * shape[d];
                idx[d] = 0;
            }
        }
        y[o] = (float)acc;
    }
}
