/* layernorm.c: nn.LayerNorm over the last dims, taken as rows x[rows][n]
 * (n = the product of the normalized dims). The formula of fastnn's
 * LayerNorm Function (fastnn/ops/nn.py): y = (x - mean) / sqrt(var + eps)
 * * w + b, var the biased variance. */

/*@ layer_norm */
/* w, b [n] or NULL (elementwise_affine=False). Two passes over each row
 * (the mean, then the squared deviations from it), summed in double so a
 * long row loses no precision to float rounding. */
static void layer_norm(const float *x, const float *w, const float *b, float *y,
                       long rows, int n, float eps)
{
    long r;
    int j;
    for (r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        double sum = 0.0, sq = 0.0;
        float mean, invstd;
        for (j = 0; j < n; j++)
            sum += xr[j];
        mean = (float)(sum / n);
        for (j = 0; j < n; j++) {
            double d = (double)xr[j] - mean;
            sq += d * d;
        }
        invstd = 1.0f / sqrtf((float)(sq / n) + eps);
        for (j = 0; j < n; j++) {
            float v = (xr[j] - mean) * invstd;
            if (w)
                v *= w[j];
            if (b)
                v += b[j];
            yr[j] = v;
        }
    }
}
