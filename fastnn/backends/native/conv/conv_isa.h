/* What the convolution's per-level builds (conv_isa_generic.c, conv_isa_avx2.c,
 * conv_isa_avx512.c, all made from conv_isa_body.h) share with the files that
 * dispatch to them (conv_gemm_kernel.c, conv_small_kernel.c,
 * conv_winograd_kernel.c): small
 * helpers, the Winograd scratch layout, and the per-level entry points.
 *
 * The register-tiled kernels (packed GEMM with im2col as its packing, the
 * k <= 12 path, Winograd F(2x2, 3x3)) take their tile from the GEMM's
 * micro-kernel, so they are compiled once per ISA level of fastnn's CPU
 * dispatch (common/isa.h), one translation unit per level so that the three
 * compile in parallel. Every call of one convolution passes the same level
 * (the pyx reads fastnn_isa() once): packed operands have a per-level layout.
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#ifndef FASTNN_CONV_ISA_H
#define FASTNN_CONV_ISA_H

#include <stdint.h>

#include "common/interrupt.h"
#include "common/isa.h"
#include "common/range.h"
#include "conv_im2col_kernel.h"

static inline void *cg_align(void *p) { return (char *)p + ((64 - ((uintptr_t)p & 63)) & 63); }

/* Even k blocks of at most kmax. */
static inline long cg_kc(long k, long kmax)
{
    long nb = (k + kmax - 1) / kmax;
    return nb > 0 ? (k + nb - 1) / nb : 1;
}

/* Offsets (elements, after the 64-byte alignment) of one thread's Winograd
 * scratch: after the transforms' line buffers (at 0), the transformed inputs
 * V (or their gradient), the output transform's M (or dM), and the
 * backward's packed V^T. Bounds for every level: panels are at most 12 rows
 * (MR) and 32 columns (NR), and tp, a block's tile count plus 16 rounded up
 * to 32, is a row stride. */
typedef struct {
    long tp, v, m, pb, total;
} wg_layout;

static inline wg_layout wg_plan(long o, long c, long tw, long rows, int backward)
{
    wg_layout l;
    const long len = rows * (tw + 1);
    l.tp = cg_up(rows * tw + 16, 32);  /* wg_input's last stores may run 15 past */
    /* + 16 * 18: wg_grad_input's 16 rows each carry GVLEN + 1 (<= 17) extra */
    l.v = cg_up(32 * len + 4 * tw + 64 + 16 * 18, 16);
    l.m = l.v + 16 * c * l.tp;
    l.pb = l.m + 16 * o * l.tp;
    l.total = l.pb + (backward ? cg_up(c, 32) * l.tp : 0);
    return l;
}

/* The entry points of one (element type T with name suffix S, level suffix L)
 * build; what each computes is documented at its public dispatcher in
 * conv_gemm_kernel.h / conv_winograd_kernel.h. */
#define FASTNN_CONV_ISA_DECLARE(T, S, L)                                                      \
void fastnn_cg_pack_w_##S##L(const T *w, long o, long k, T *wp);                           \
void fastnn_cg_pack_wt_##S##L(const T *w, long o, long k, T *wtp);                         \
void fastnn_cg_forward_##S##L(const T *x, const T *wp, const T *bias, T *y, long o,        \
                              const fastnn_conv_geo *g, long chunk, T *scratch,            \
                              const fastnn_flag_t *stop);                                  \
void fastnn_cg_backward_##S##L(const T *dy, const T *x, const T *wtp, T *dx, T *dwt,       \
                               long o, const fastnn_conv_geo *g, long chunk, T *scratch,   \
                               const fastnn_flag_t *stop);                                 \
void fastnn_cg_small_##S##L(const T *x, const T *w, const T *bias, T *y, const T *dy,      \
                            T *dx, T *dwv, T *dbv, long o, const fastnn_conv_geo *g,       \
                            long chunk, T *scratch, const fastnn_flag_t *stop);            \
void fastnn_wg_forward_##S##L(const T *x, const T *up, long ustride, const T *bias, T *y,  \
                              long n, long o, const fastnn_conv_geo *g, long rows,         \
                              T *scratch, const fastnn_flag_t *stop);                      \
void fastnn_wg_backward_##S##L(const T *dy, const T *x, const T *upt, long ustride, T *dx, \
                               T *du, long n, long o, const fastnn_conv_geo *g, long rows, \
                               T *scratch, const fastnn_flag_t *stop);

FASTNN_CONV_ISA_DECLARE(float, f, _generic)
FASTNN_CONV_ISA_DECLARE(double, d, _generic)
#if FASTNN_X86_VARIANTS
FASTNN_CONV_ISA_DECLARE(float, f, _avx2)
FASTNN_CONV_ISA_DECLARE(double, d, _avx2)
FASTNN_CONV_ISA_DECLARE(float, f, _avx512)
FASTNN_CONV_ISA_DECLARE(double, d, _avx512)
#endif
#undef FASTNN_CONV_ISA_DECLARE

#endif
