/* Convolution ladder, rung 3 (ladder.h): Winograd's minimal filtering,
 * F(2x2, 3x3) (A. Lavin, S. Gray, "Fast algorithms for convolutional neural
 * networks", CVPR 2016), for 3x3 filters.
 *
 * A 2x2 block of outputs needs a 4x4 tile of input, d, and one 3x3 filter, g.
 * Directly that is 2*2*9 = 36 multiplications. Winograd's identity gives it
 * with 16:
 *
 *   Y = A^T [ (G g G^T) .* (B^T d B) ] A      (.* elementwise, 4x4)
 *
 * where B^T, G and A^T are small constant matrices (the 1-D transforms below)
 * whose products are additions and halvings. Summed over input channels, the
 * elementwise products become 16 independent matrix products, one per
 * position xi of the 4x4 tile:
 *
 *   M[xi] (O x tiles) = U[xi] (O x C) @ V[xi] (C x tiles)
 *
 * U = G g G^T is computed once per filter, V = B^T d B once per input tile,
 * and the products run on the GEMM ladder's rung 4. 16 products of C per
 * output pair of 2x2 instead of 36: 2.25x fewer multiplications, paid for by
 * the transforms (O(1) per tile and channel) and by less accuracy (the
 * transforms add and subtract values of mixed size), which is why fastnn
 * keeps it to float32 3x3 layers with enough channels. Outputs past an odd
 * edge are computed from zero-padded tiles and not written. U, V and M live
 * in `work`, kept by the caller from call to call (see conv2_im2col.c: new
 * pages would cost about as much as the transforms).
 */
#include "ladder/ladder.h"

/* The 1-D transforms; each 2-D one applies its 1-D form down the columns,
 * then along the rows. */
static void input_1d(const float d[4], float v[4])     /* B^T d */
{
    v[0] = d[0] - d[2]; v[1] = d[1] + d[2]; v[2] = d[2] - d[1]; v[3] = d[1] - d[3];
}

static void filter_1d(const float g[3], float u[4])    /* G g */
{
    u[0] = g[0]; u[1] = 0.5f * (g[0] + g[1] + g[2]); u[2] = 0.5f * (g[0] - g[1] + g[2]); u[3] = g[2];
}

static void output_1d(const float m[4], float y[2])    /* A^T m */
{
    y[0] = m[0] + m[1] + m[2]; y[1] = m[1] - m[2] - m[3];
}

/* out (rows x cols_out, row-major) = the 1-D transform f applied to every
 * column of in (rows_in x cols), then to every row of the result. */
#define TRANSFORM_2D(f, in, rin, cin, rout, cout, out)                            \
    do {                                                                          \
        float col_in[4], col_out[4], tmp[4][4];                                   \
        for (int j = 0; j < (cin); j++) {                                         \
            for (int i = 0; i < (rin); i++) col_in[i] = (in)[i * (cin) + j];      \
            f(col_in, col_out);                                                   \
            for (int i = 0; i < (rout); i++) tmp[i][j] = col_out[i];              \
        }                                                                         \
        for (int i = 0; i < (rout); i++) f(tmp[i], (out) + i * (cout));           \
    } while (0)

/* The 16 matrices of U, V and M lie one after another, each GAP floats past
 * the end of the one before. Every tile's transform reads or writes all 16
 * at the same offset; were they a multiple of 4 KiB apart (as they are for
 * power-of-two sizes), those 16 addresses would compete for one set of the
 * L1 cache (8 ways) and evict each other on every tile. */
#define GAP 16

/* Floats of work the layer needs: U, V and M with their gaps. */
long ladder_conv_winograd_work(long n, long c, long h, long w, long o)
{
    const long tiles = n * ((h - 1) / 2) * ((w - 1) / 2);
    return 16 * ((o * c + GAP) + (c * tiles + GAP) + (o * tiles + GAP));
}

int ladder_conv_winograd(int isa, long n, long c, long h, long w, long o,
                         const float *x, const float *wt, float *y, float *work)
{
    const long oh = h - 2, ow = w - 2, th = (oh + 1) / 2, tw = (ow + 1) / 2, tiles = n * th * tw;
    const long su = o * c + GAP, sv = c * tiles + GAP, sm = o * tiles + GAP;   /* xi strides */
    float *u = work, *v = u + 16 * su, *m = v + 16 * sv;

    for (long f = 0; f < o * c; f++) {          /* U[xi][f] = (G g G^T)[xi] */
        float uf[16];
        TRANSFORM_2D(filter_1d, wt + f * 9, 3, 3, 4, 4, uf);
        for (int xi = 0; xi < 16; xi++) u[xi * su + f] = uf[xi];
    }
    for (long b = 0; b < n; b++)                /* V[xi][ch][tile] = (B^T d B)[xi] */
        for (long ch = 0; ch < c; ch++)
            for (long ti = 0; ti < th; ti++)
                for (long tj = 0; tj < tw; tj++) {
                    const float *plane = x + (b * c + ch) * h * w;
                    float d[16], vt[16];
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++) {
                            const long r = 2 * ti + i, s = 2 * tj + j;
                            d[i * 4 + j] = (r < h && s < w) ? plane[r * w + s] : 0.0f;
                        }
                    TRANSFORM_2D(input_1d, d, 4, 4, 4, 4, vt);
                    const long t = (b * th + ti) * tw + tj;
                    for (int xi = 0; xi < 16; xi++) v[xi * sv + ch * tiles + t] = vt[xi];
                }
    for (int xi = 0; xi < 16; xi++)             /* the 16 products */
        if (ladder_packed(isa, o, tiles, c, u + xi * su, v + xi * sv, m + xi * sm) != 0)
            return -1;
    for (long f = 0; f < o; f++)                /* Y = A^T M A, the valid part */
        for (long b = 0; b < n; b++)
            for (long ti = 0; ti < th; ti++)
                for (long tj = 0; tj < tw; tj++) {
                    const long t = (b * th + ti) * tw + tj;
                    float mt[16], yt[4];
                    for (int xi = 0; xi < 16; xi++) mt[xi] = m[xi * sm + f * tiles + t];
                    TRANSFORM_2D(output_1d, mt, 4, 4, 2, 2, yt);
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            const long r = 2 * ti + i, s = 2 * tj + j;
                            if (r < oh && s < ow) y[((b * o + f) * oh + r) * ow + s] = yt[i * 2 + j];
                        }
                }
    return 0;
}
