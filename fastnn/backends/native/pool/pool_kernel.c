/* 2x2 stride-2 unpadded max pool over one H x W plane (the common CNN case).
 *
 * Forward: each output compares its four cells in PyTorch's order (row 0
 * left, right, row 1 left, right; a later cell wins if strictly greater or
 * NaN) without branches, so the compiler can vectorise the row, and records
 * the winner as a 0..3 code turned into a flat H*W index.
 * Backward: the windows tile the plane without overlap, so every dx cell is
 * written exactly once (dy where the index points, else 0) instead of a
 * memset followed by a scatter; the odd last row/column is zeroed.
 * Only called for planes where every window lies inside the input; the
 * caller (_pool.pyx) parallelises over planes. Built per ISA level
 * (common/isa.h), except that the avx512 level runs the AVX2 build: the
 * AVX-512 build of these strided loops measured 3x slower on the development
 * Xeon.
 * Reference: fastnn/backends/numpy_ref/pool.py (max_pool2d_forward/backward).
 */
#include <string.h>
#include "pool_kernel.h"

#include "common/isa.h"

/* One build of both loops for element type T, at one level: LEVEL is the
 * name suffix (_generic, _avx2), TARGET the level's attribute. */
#define DEFINE_MAXPOOL2X2(SUFFIX, T, LEVEL, TARGET)                                     \
static TARGET void fastnn_maxpool2x2_fwd_##SUFFIX##LEVEL(const T *x, T *y, int64_t *idx, \
                                                         long W, long OH, long OW)      \
{                                                                                       \
    for (long oh = 0; oh < OH; oh++) {                                                  \
        const T *r0 = x + 2 * oh * W, *r1 = r0 + W;                                     \
        T *yr = y + oh * OW;                                                            \
        int64_t *ir = idx + oh * OW;                                                    \
        int64_t base = 2 * oh * W;                                                      \
        for (long ow = 0; ow < OW; ow++) {                                              \
            T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];   \
            T m = a;                                                                    \
            int64_t k = 0;                                                              \
            int t = (b > m) | (b != b); m = t ? b : m; k = t ? 1 : k;                   \
            t = (c > m) | (c != c); m = t ? c : m; k = t ? W : k;                       \
            t = (d > m) | (d != d); m = t ? d : m; k = t ? W + 1 : k;                   \
            yr[ow] = m;                                                                 \
            ir[ow] = base + 2 * ow + k;                                                 \
        }                                                                               \
    }                                                                                   \
}                                                                                       \
                                                                                        \
static TARGET void fastnn_maxpool2x2_bwd_##SUFFIX##LEVEL(const T *dy, const int64_t *idx, \
                                                         T *dx, long H, long W, long OH, \
                                                         long OW)                        \
{                                                                                       \
    for (long oh = 0; oh < OH; oh++) {                                                  \
        T *r0 = dx + 2 * oh * W, *r1 = r0 + W;                                          \
        const T *gr = dy + oh * OW;                                                     \
        const int64_t *ir = idx + oh * OW;                                              \
        int64_t base = 2 * oh * W;                                                      \
        for (long ow = 0; ow < OW; ow++) {                                              \
            T g = gr[ow];                                                               \
            int64_t k = ir[ow] - (base + 2 * ow);  /* offset inside the window */       \
            r0[2 * ow] = k == 0 ? g : (T)0;                                             \
            r0[2 * ow + 1] = k == 1 ? g : (T)0;                                         \
            r1[2 * ow] = k == W ? g : (T)0;                                             \
            r1[2 * ow + 1] = k == W + 1 ? g : (T)0;                                     \
        }                                                                               \
        if (W > 2 * OW) { r0[W - 1] = 0; r1[W - 1] = 0; }                               \
    }                                                                                   \
    if (H > 2 * OH) memset(dx + 2 * OH * W, 0, (size_t)((H - 2 * OH) * W) * sizeof(T)); \
}

DEFINE_MAXPOOL2X2(f, float, _generic, )
DEFINE_MAXPOOL2X2(d, double, _generic, )
#if FASTNN_X86_VARIANTS
DEFINE_MAXPOOL2X2(f, float, _avx2, FASTNN_TARGET_AVX2)
DEFINE_MAXPOOL2X2(d, double, _avx2, FASTNN_TARGET_AVX2)
/* The avx512 level runs the AVX2 build (see the top of the file). */
#define fastnn_maxpool2x2_fwd_f_avx512 fastnn_maxpool2x2_fwd_f_avx2
#define fastnn_maxpool2x2_fwd_d_avx512 fastnn_maxpool2x2_fwd_d_avx2
#define fastnn_maxpool2x2_bwd_f_avx512 fastnn_maxpool2x2_bwd_f_avx2
#define fastnn_maxpool2x2_bwd_d_avx512 fastnn_maxpool2x2_bwd_d_avx2
#endif

/* The entry points run the build of the current level. */
#define MAXPOOL2X2_API(SUFFIX, T)                                                       \
void fastnn_maxpool2x2_fwd_##SUFFIX(const T *x, T *y, int64_t *idx, long W, long OH,    \
                                    long OW)                                            \
{                                                                                       \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_maxpool2x2_fwd_##SUFFIX, (x, y, idx, W, OH, OW)); \
}                                                                                       \
void fastnn_maxpool2x2_bwd_##SUFFIX(const T *dy, const int64_t *idx, T *dx, long H,     \
                                    long W, long OH, long OW)                           \
{                                                                                       \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_maxpool2x2_bwd_##SUFFIX,                       \
                    (dy, idx, dx, H, W, OH, OW));                                       \
}

MAXPOOL2X2_API(f, float)
MAXPOOL2X2_API(d, double)
