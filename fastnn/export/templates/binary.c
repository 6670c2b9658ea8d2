/* binary.c: elementwise arithmetic with NumPy broadcasting. Each operand is
 * read through strides over the output's shape: a broadcast axis has stride 0,
 * and a Python scalar is a one-element array with every stride 0. */

/*@ binary */
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_POW };

#ifndef MAX_DIMS
#define MAX_DIMS 8
#endif

static void binary(int op, const float *a, const int *as, const float *b, const int *bs,
                   float *y, const int *shape, int ndim)
{
    int idx[MAX_DIMS] = {0};
    long total = 1, i, ia = 0, ib = 0;
    int d;
    for (d = 0; d < ndim; d++)
        total *= shape[d];
    for (i = 0; i < total; i++) {
        float u = a[ia], v = b[ib], r;
        switch (op) {
        case B_ADD: r = u + v; break;
        case B_SUB: r = u - v; break;
        case B_MUL: r = u * v; break;
        case B_DIV: r = u / v; break;
        case B_MAX: r = u > v || u != u ? u : v; break;
        case B_MIN: r = u < v || u != u ? u : v; break;
        default: r = powf(u, v); break;
        }
        y[i] = r;
        /* advance the odometer over the output's indices, last axis fastest */
        for (d = ndim - 1; d >= 0; d--) {
            ia += as[d];
            ib += bs[d];
            if (++idx[d] < shape[d])
                break;
            ia -= (long)as[d] * shape[d];
            ib -= (long)bs[d] * shape[d];
            idx[d] = 0;
        }
    }
}
