/* 3x3 stride-1 convolution (groups = 1) by Winograd's minimal filtering
 * F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016), forward and backward.
 *
 * Each 2x2 block of outputs ("tile") reads a 4x4 input patch d. With
 *   V = B^T d B   (input transform),  U = G g G^T   (weight transform),
 *   Y = A^T (U . V) A                 (output transform, . elementwise)
 * the 36 multiply-adds of a tile per (output, input channel) pair become 16,
 * and summing over input channels makes each of the 16 positions xi of the
 * 4x4 transform a matrix product:
 *   M[xi] (O x tiles) = U[xi] (O x C) @ V[xi] (C x tiles).
 * Backward is the same chain differentiated, with the same matrices:
 *   dM = A dY A^T,  dV[xi] = U[xi]^T @ dM[xi],  dx += B dV B^T (patches
 *   overlap by two rows and columns, so they are added), and
 *   dU[xi] += dM[xi] @ V[xi]^T, which the caller turns into dw = G^T dU G.
 * B, G and A hold only 0, +-1 and +-1/2, so float32 results stay within a few
 * ulps of the direct sum.
 *
 * Blocks of `rows` tile rows (they may span samples) are transformed into
 * per-thread scratch sized for L2, then multiplied with the GEMM
 * micro-kernel's register tile (built per ISA level, see conv_isa.h; the
 * per-level code is conv_winograd_kernel_impl.h, this file dispatches): the
 * forward on packed panels (cg_gemm), the backward partly on the transforms'
 * row-major output in place (wg_gemm), which saved two packing copies per xi.
 * The transforms' main passes run along a whole block's tiles at once, so
 * they vectorise even for 13x13 images.
 * Reference: fastnn/backends/numpy_ref/conv.py (the direct formula; the
 * tests hold this file to it).
 */
#include <string.h>

#include "conv_winograd_kernel.h"
#include "conv_gemm_kernel.h"
#include "conv_isa.h"

/* Elements between the 16 packed matrices of fastnn_wg_pack: room for either
 * orientation, in 64-byte steps. */
static long wg_ustride(long o, long c)
{
    const long fwd = cg_up(o, 12) * c, bwd = cg_up(c, 12) * o;
    return cg_up(fwd > bwd ? fwd : bwd, 16);
}

long fastnn_wg_upack_size(long o, long c)
{
    return 16 * wg_ustride(o, c) + 64;
}

long fastnn_wg_scratch_size(long o, long c, long tw, long rows, int backward)
{
    return wg_plan(o, c, tw, rows, backward).total + 64;
}

/* u[xi] (o x c) = (G w G^T)[xi / 4][xi % 4] for every channel pair, with
 * G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]; and the way
 * back for the gradient, dw = G^T du G. */
#define WG_WEIGHTS(SUF, T)                                                               \
void fastnn_wg_weights_##SUF(const T *w, long o, long c, T *u)                           \
{                                                                                        \
    /* 64 pairs at a time through a local block: the 16 outputs of a pair go     \
     * to rows o*c apart, and 16 streams that far apart fight over the same L1   \
     * sets (it took 50 ns a pair; the block's runs are copied whole). */        \
    T blk[16][64];                                                                       \
    for (long p0 = 0; p0 < o * c; p0 += 64) {                                            \
        const long cnt = o * c - p0 < 64 ? o * c - p0 : 64;                              \
        for (long e = 0; e < cnt; e++) {                                                 \
            const T *g = w + 9 * (p0 + e);                                               \
            T gg[4][3];                                                                  \
            for (int q = 0; q < 3; q++) {                                                \
                gg[0][q] = g[q];                                                         \
                gg[1][q] = (T)0.5 * (g[q] + g[3 + q] + g[6 + q]);                        \
                gg[2][q] = (T)0.5 * (g[q] - g[3 + q] + g[6 + q]);                        \
                gg[3][q] = g[6 + q];                                                     \
            }                                                                            \
            for (int a = 0; a < 4; a++) {                                                \
                blk[4 * a][e] = gg[a][0];                                                \
                blk[4 * a + 1][e] = (T)0.5 * (gg[a][0] + gg[a][1] + gg[a][2]);           \
                blk[4 * a + 2][e] = (T)0.5 * (gg[a][0] - gg[a][1] + gg[a][2]);           \
                blk[4 * a + 3][e] = gg[a][2];                                            \
            }                                                                            \
        }                                                                                \
        for (int xi = 0; xi < 16; xi++)                                                  \
            memcpy(u + xi * o * c + p0, blk[xi], (size_t)cnt * sizeof(T));               \
    }                                                                                    \
}                                                                                        \
void fastnn_wg_weight_grad_##SUF(const T *du, long o, long c, T *dw)                     \
{                                                                                        \
    T blk[16][64];                                                                       \
    for (long p0 = 0; p0 < o * c; p0 += 64) {                                            \
        const long cnt = o * c - p0 < 64 ? o * c - p0 : 64;                              \
        for (int xi = 0; xi < 16; xi++)                                                  \
            memcpy(blk[xi], du + xi * o * c + p0, (size_t)cnt * sizeof(T));             \
        for (long e = 0; e < cnt; e++) {                                                 \
            T r[3][4];                                                                   \
            for (int b = 0; b < 4; b++) {                                                \
                const T m0 = blk[b][e], m1 = blk[4 + b][e], m2 = blk[8 + b][e],          \
                        m3 = blk[12 + b][e];                                             \
                r[0][b] = m0 + (T)0.5 * (m1 + m2);                                       \
                r[1][b] = (T)0.5 * (m1 - m2);                                            \
                r[2][b] = (T)0.5 * (m1 + m2) + m3;                                       \
            }                                                                            \
            T *g = dw + 9 * (p0 + e);                                                    \
            for (int a = 0; a < 3; a++) {                                                \
                g[3 * a] = r[a][0] + (T)0.5 * (r[a][1] + r[a][2]);                       \
                g[3 * a + 1] = (T)0.5 * (r[a][1] - r[a][2]);                             \
                g[3 * a + 2] = (T)0.5 * (r[a][1] + r[a][2]) + r[a][3];                   \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
}

WG_WEIGHTS(f, float)
WG_WEIGHTS(d, double)

/* The public entry points call the build of level v (FASTNN_ISA_CALL). */
#define WG_API(SUF, T)                                                                \
void fastnn_wg_pack_##SUF(int v, const T *u, long o, long c, int transposed, T *up)      \
{                                                                                        \
    T *a = (T *)cg_align(up);                                                            \
    const long stride = wg_ustride(o, c);                                                \
    for (int xi = 0; xi < 16; xi++) {                                                    \
        if (transposed)                                                                  \
            FASTNN_ISA_CALL(v, fastnn_cg_pack_wt_##SUF, (u + xi * o * c, o, c, a + xi * stride)); \
        else                                                                             \
            FASTNN_ISA_CALL(v, fastnn_cg_pack_w_##SUF, (u + xi * o * c, o, c, a + xi * stride));  \
    }                                                                                    \
}                                                                                        \
void fastnn_wg_forward_##SUF(int v, const T *x, const T *up, const T *bias, T *y, long n, \
                             long o, const fastnn_conv_geo *g, long rows, T *scratch,    \
                             const fastnn_flag_t *stop)                                  \
{                                                                                        \
    const T *a = (const T *)cg_align((void *)up);                                        \
    const long stride = wg_ustride(o, g->c);                                             \
    FASTNN_ISA_CALL(v, fastnn_wg_forward_##SUF,                                          \
                    (x, a, stride, bias, y, n, o, g, rows, scratch, stop));              \
}                                                                                        \
void fastnn_wg_backward_##SUF(int v, const T *dy, const T *x, const T *upt, T *dx, T *du, \
                              long n, long o, const fastnn_conv_geo *g, long rows,       \
                              T *scratch, const fastnn_flag_t *stop)                     \
{                                                                                        \
    const T *a = (const T *)cg_align((void *)upt);                                       \
    const long stride = wg_ustride(o, g->c);                                             \
    FASTNN_ISA_CALL(v, fastnn_wg_backward_##SUF,                                         \
                    (dy, x, a, stride, dx, du, n, o, g, rows, scratch, stop));           \
}

WG_API(f, float)
WG_API(d, double)
