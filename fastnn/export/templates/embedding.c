/* embedding.c: nn.Embedding, a row lookup y[i] = weight[idx[i]] (fastnn's
 * F.embedding, weight[idx] in NumPy). The model's integer indices arrive as
 * float values, like every C input: each must be a whole number in
 * [0, rows), checked before it is used as an offset, so no input can read
 * outside the table. */

/*@ embedding */
/* idx[n] (float), w[rows][dim] -> y[n][dim]. Returns 0, or 1 at the first
 * index that is NaN, fractional or out of range (y is then incomplete). The
 * test runs in double, which holds every int exactly, and before the cast:
 * converting an out-of-range float to an integer is undefined in C. */
static int embedding(const float *idx, const float *w, float *y, long n, long rows, int dim)
{
    long i, r;
    int j;
    for (i = 0; i < n; i++) {
        double v = idx[i];
        if (!(v >= 0.0 && v < (double)rows))
            return 1;
        r = (long)v;
        if ((double)r != v)
            return 1;
        for (j = 0; j < dim; j++)
            y[i * dim + j] = w[r * dim + j];
    }
    return 0;
}
