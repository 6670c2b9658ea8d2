/* norm.c: BatchNorm in eval mode. The exporter folds the running statistics
 * into scale = weight / sqrt(var + eps), shift = bias - mean * scale. */

/*@ channel_affine */
/* x[n][c][inner] -> y = x * scale[c] + shift[c] */
static void channel_affine(const float *x, const float *scale, const float *shift, float *y,
                           int n, int c, int inner)
{
    int i, j, k;
    for (i = 0; i < n; i++)
        for (j = 0; j < c; j++) {
            long base = ((long)i * c + j) * inner;
            for (k = 0; k < inner; k++)
                y[base + k] = x[base + k] * scale[j] + shift[j];
        }
}
