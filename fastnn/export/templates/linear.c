/* linear.c: nn.Linear, y = x W^T + b, over the rows of x. */

/*@ linear gemm_nn */
/* x[rows][in], w_t[in][out], b[out] (or NULL) -> y[rows][out]. The exporter
 * stores nn.Linear's weight [out][in] transposed, so the product is gemm_nn. */
static void linear(const float *x, const float *w_t, const float *b, float *y,
                   int rows, int in, int out)
{
    int r, o;
    gemm_nn(x, w_t, y, rows, out, in);
    if (b)
        for (r = 0; r < rows; r++)
            for (o = 0; o < out; o++)
                y[(long)r * out + o] += b[o];
}
