/* linear.c: nn.Linear, y = x W^T + b, over the rows of x. */

/*@ linear gemm_nt */
/* x[rows][in], w[out][in], b[out] (or NULL) -> y[rows][out] */
static void linear(const float *x, const float *w, const float *b, float *y,
                   int rows, int in, int out)
{
    int r, o;
    gemm_nt(x, w, y, rows, out, in);
    if (b)
        for (r = 0; r < rows; r++)
            for (o = 0; o < out; o++)
                y[(long)r * out + o] += b[o];
}
