/* The per-level builds of the fused kernels (fused_isa_generic.c,
 * fused_isa_avx2.c, fused_isa_avx512.c, all made from fused_isa_body.h, one
 * translation unit per level so that they compile in parallel) and the
 * dispatcher (fused_kernel.c) that calls the build of the current level.
 */
#ifndef FASTNN_FUSED_ISA_H
#define FASTNN_FUSED_ISA_H

#include "common/isa.h"
#include "fused_kernel.h"

#define FNN_FUSED_DECLARE(T, S, L)                                                         \
void fnn_fconv_##S##L(const fnn_fconv *g, const T *x, const T *w, const T *b, T *y,        \
                      long p0, long p1);                                                   \
void fnn_flin_##S##L(const fnn_flin *g, const T *x, const T *w, const T *b, T *y,          \
                     long r0, long r1);

FNN_FUSED_DECLARE(float, f32, _generic)
FNN_FUSED_DECLARE(double, f64, _generic)
#if FASTNN_X86_VARIANTS
FNN_FUSED_DECLARE(float, f32, _avx2)
FNN_FUSED_DECLARE(double, f64, _avx2)
FNN_FUSED_DECLARE(float, f32, _avx512)
FNN_FUSED_DECLARE(double, f64, _avx512)
#endif
#undef FNN_FUSED_DECLARE

#endif
