/* shape.c: data movement. transpose, permute, flip, expand, slicing and
 * concatenation are all one strided copy: the exporter works out, for each
 * copy, the source and destination strides (negative for a flip, 0 for an
 * expand); a reshape of contiguous data copies nothing at all. */

/*@ copy_strided */
#ifndef MAX_DIMS
#define MAX_DIMS 8
#endif

static void copy_strided(const float *src, const int *ss, float *dst, const int *ds,
                         const int *shape, int ndim)
{
    int idx[MAX_DIMS] = {0};
    long total = 1, i, is = 0, id = 0;
    int d;
    for (d = 0; d < ndim; d++)
        total *= shape[d];
    for (i = 0; i < total; i++) {
        dst[id] = src[is];
        for (d = ndim - 1; d >= 0; d--) {
            is += ss[d];
            id += ds[d];
            if (++idx[d] < shape[d])
                break;
            is -= (long)ss[d] * shape[d];
            id -= (long)ds[d] * shape[d];
            idx[d] = 0;
        }
    }
}

/*@ gather */
/* y[i] = x[index[i]]: indexing with an index array */
static void gather(const float *x, const int *index, float *y, long n)
{
    long i;
    for (i = 0; i < n; i++)
        y[i] = x[index[i]];
}

/*@ copy */
static void copy(const float *x, float *y, long n)
{
    long i;
    for (i = 0; i < n; i++)
        y[i] = x[i];
}
