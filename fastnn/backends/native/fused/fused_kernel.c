/* Entry points of the fused inference kernels (see fused_kernel.h): each runs
 * the build of the ISA level it is given (fused_isa_<level>.c), plus the copy
 * of an NCHW input into the zero-padded channels-last buffer a fused conv
 * reads (plain C: it moves a few hundred to a few thousand elements).
 * Reference: fastnn/backends/numpy_ref/conv.py, pool.py, gemm.py.
 */
#include <string.h>

#include "fused_isa.h"

void fnn_fconv_f32(int isa, const fnn_fconv *g, const float *x, const float *w, const float *b,
                   float *y, long p0, long p1)
{
    FASTNN_ISA_CALL(isa, fnn_fconv_f32, (g, x, w, b, y, p0, p1));
}

void fnn_fconv_f64(int isa, const fnn_fconv *g, const double *x, const double *w,
                   const double *b, double *y, long p0, long p1)
{
    FASTNN_ISA_CALL(isa, fnn_fconv_f64, (g, x, w, b, y, p0, p1));
}

void fnn_flin_f32(int isa, const fnn_flin *g, const float *x, const float *w, const float *b,
                  float *y, long r0, long r1)
{
    FASTNN_ISA_CALL(isa, fnn_flin_f32, (g, x, w, b, y, r0, r1));
}

void fnn_flin_f64(int isa, const fnn_flin *g, const double *x, const double *w,
                  const double *b, double *y, long r0, long r1)
{
    FASTNN_ISA_CALL(isa, fnn_flin_f64, (g, x, w, b, y, r0, r1));
}

/* One input channel: whole rows move with memcpy; several: a transpose. */
#define FNN_FPACK(T, S)                                                                  \
void fnn_fpack_##S(const fnn_fpack *g, const T *x, T *xp)                                \
{                                                                                        \
    const long c = g->c;                                                                 \
    for (long s = 0; s < g->n; s++)                                                      \
        for (long i = 0; i < g->h; i++) {                                                \
            T *row = xp + ((s * g->hp + g->ph + i) * g->wp + g->pw) * c;                 \
            const T *src = x + (s * c * g->h + i) * g->w;                                \
            if (c == 1) {                                                                \
                memcpy(row, src, (size_t)g->w * sizeof(T));                              \
                continue;                                                                \
            }                                                                            \
            for (long j = 0; j < g->w; j++)                                              \
                for (long ci = 0; ci < c; ci++) row[j * c + ci] = src[ci * g->h * g->w + j]; \
        }                                                                                \
}
FNN_FPACK(float, f32)
FNN_FPACK(double, f64)
