/* pad.c: F.pad in its four modes (constant, reflect, replicate, circular).
 * Padding is separable: output position o along dim d reads input position
 * map_d[o] (-1: the constant value), whatever the mode; the exporter builds
 * the per-dim maps with np.pad on 0..n-1, as fastnn's Pad Function
 * (fastnn/ops/nn.py) pads, so corners and negative widths (crops) agree. */

/*@ pad_nd */
#ifndef MAX_DIMS
#define MAX_DIMS 8
#endif

/* x (strides xs[d]) -> y[shape[0]]...[shape[ndim-1]] (C order); map holds
 * the ndim maps one after another (shape[d] entries each). */
static void pad_nd(const float *x, const int *xs, float *y, const int *shape, int ndim,
                   const int *map, float value)
{
    int idx[MAX_DIMS] = {0};
    const int *maps[MAX_DIMS];
    long total = 1, i;
    int d, last = ndim - 1;
    for (d = 0; d < ndim; d++) {
        maps[d] = d ? maps[d - 1] + shape[d - 1] : map;
        total *= shape[d];
    }
    for (i = 0; i < total; i += shape[last]) {
        /* the offset of the row's source, or -1 when an outer dim is in the padding */
        long base = 0;
        int o;
        for (d = 0; d < last && base >= 0; d++)
            base = maps[d][idx[d]] < 0 ? -1 : base + (long)maps[d][idx[d]] * xs[d];
        for (o = 0; o < shape[last]; o++) {
            int m = maps[last][o];
            y[i + o] = base < 0 || m < 0 ? value : x[base + (long)m * xs[last]];
        }
        for (d = last - 1; d >= 0; d--) {
            if (++idx[d] < shape[d])
                break;
            idx[d] = 0;
        }
    }
}
