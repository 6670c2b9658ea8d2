/* Convolution (groups = 1) as a packed GEMM whose packing IS the im2col.
 *
 * The general path (_conv_gemm.pxi) builds an im2col column matrix, then calls
 * fastnn_sgemm, which copies it again into its packed panels, packs the
 * weights again for every call, and writes into a row buffer that is copied
 * to the NCHW output when several samples share a GEMM. Here a BLIS
 * micro-kernel with the GEMM's register tile and vector types
 * (gemm_micro_kernel.h, built once per ISA level; the tile loop is
 * conv_tile_impl.h's cg_micro: 4/8/12-row heights, fused bias) runs on
 * panels that the convolution fills itself:
 *   forward  y[n] = W @ im2col(x[n]): W packed once per call, im2col rows
 *            written straight into the B panels, tiles stored into y[n]
 *            (row stride Ho*Wo) -- padding each sample's columns to whole
 *            panels costs a few idle lanes (121 -> 128) but no copy;
 *   backward dW^T += im2col(x[n]) @ dy[n]^T, im2col rows written straight
 *            into the A panels; dx[n] = col2im(W^T @ dy[n]) with W^T packed
 *            once and dy[n] packed straight from the sample.
 * Big samples are processed in chunks of output rows so the panels stay in L2.
 * The tile (AVX-512 12x32, AVX2 6x16, 16-byte vectors) is the GEMM's at
 * the ISA level the caller passes (v, from fastnn_isa()); the kernels are
 * built once per level in conv_isa_<level>.c, and this file calls the one of
 * level v.
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#include <stddef.h>

#include "conv_gemm_kernel.h"
#include "conv_isa.h"

/* Sizes are bounds for every variant: m blocks round up to 12 (MR = 12, 6
 * or 4), n blocks to 32 (NR = 32, 16, 8 or 4); pieces are 16-element
 * multiples so they stay 64-byte aligned. */
long fastnn_cg_wpack_size(long o, long k)
{
    return conv_max(cg_up(o, 12) * k, cg_up(k, 12) * o) + 64;
}

/* The scratch serves the small-k kernels (conv_small_kernel.c) too. */
long fastnn_cg_scratch_size(long o, const fastnn_conv_geo *g, long chunk)
{
    const long k = g->c * g->kh * g->kw, cc = chunk * g->wo, ccp = cg_up(cc, 32);
    const long fwd = cg_up(k * ccp, 16);
    const long bwd = cg_up(cg_up(k, 12) * cc, 16) + cg_up(cg_up(o, 32) * cc, 16)
                   + cg_up(o * ccp, 16) + cg_up(k * cc, 16);
    const long small = (2 * k + 1) * cg_up(cc, 16);  /* cg_small: columns, their gradient, a row */
    return cg_up(ccp, 16) + conv_max(conv_max(fwd, bwd), small) + 64;
}


/* The public entry points call the build of level v (FASTNN_ISA_CALL). */
#define CG_API(SUF, T)                                                                   \
void fastnn_cg_pack_w_##SUF(int v, const T *w, long o, long k, T *wp)                   \
{                                                                                        \
    T *a = (T *)cg_align(wp);                                                            \
    FASTNN_ISA_CALL(v, fastnn_cg_pack_w_##SUF, (w, o, k, a));                            \
}                                                                                        \
void fastnn_cg_pack_wt_##SUF(int v, const T *w, long o, long k, T *wtp)                 \
{                                                                                        \
    T *a = (T *)cg_align(wtp);                                                           \
    FASTNN_ISA_CALL(v, fastnn_cg_pack_wt_##SUF, (w, o, k, a));                           \
}                                                                                        \
void fastnn_cg_forward_##SUF(int v, const T *x, const T *wp, const T *bias, T *y,       \
                             long o, const fastnn_conv_geo *g, long chunk, T *scratch,   \
                             const fastnn_flag_t *stop)                                  \
{                                                                                        \
    const T *a = (const T *)cg_align((void *)wp);                                        \
    FASTNN_ISA_CALL(v, fastnn_cg_forward_##SUF,                                          \
                    (x, a, bias, y, o, g, chunk, scratch, stop));                        \
}                                                                                        \
void fastnn_cg_backward_##SUF(int v, const T *dy, const T *x, const T *wtp, T *dx,      \
                              T *dwt, long o, const fastnn_conv_geo *g, long chunk,      \
                              T *scratch, const fastnn_flag_t *stop)                     \
{                                                                                        \
    const T *a = (const T *)cg_align((void *)wtp);                                       \
    FASTNN_ISA_CALL(v, fastnn_cg_backward_##SUF,                                         \
                    (dy, x, a, dx, dwt, o, g, chunk, scratch, stop));                    \
}

CG_API(f, float)
CG_API(d, double)
