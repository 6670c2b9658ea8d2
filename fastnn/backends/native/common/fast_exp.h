/* fnn_expf: e^x for float32 that GCC vectorises (no libm call, no branch), for
 * the softmax-type loops of several families (elementwise, attention). A file
 * that includes it should compile with no-trapping-math (see elementwise_kernel.c)
 * so the clamps below stay selects. */
#ifndef FASTNN_FAST_EXP_H
#define FASTNN_FAST_EXP_H

#include <math.h>
#include <stdint.h>
#include "common/isa.h"

/* e^x for float32, branch-free so a row loop vectorises: x = n ln2 + r with
 * |r| <= ln2/2, e^r by its Taylor series to r^7 (relative error ~5e-9), 2^n
 * built in the exponent bits. The rounding trick (adding 1.5 * 2^23) leaves
 * n in the low mantissa bits, so no float->int conversion is needed (that
 * would be undefined for NaN). x is clamped to [-87.3, 88.7] so 2^n stays a
 * normal float, and below -87.3 the result is 0 (what NumPy gives for a far
 * smaller logit; the true value would be a denormal). NaN passes the clamps
 * and poisons the polynomial, so NaN in gives NaN out. */
FASTNN_INLINE float fnn_expf(float x)
{
    int under = isless(x, -87.3f);
    x = under ? -87.3f : x;
    x = isgreater(x, 88.7f) ? 88.7f : x;
    union { float f; int32_t i; } k;
    k.f = x * 1.44269504f + 12582912.0f;
    float n = k.f - 12582912.0f;
    int32_t ni = k.i - 0x4B400000;
    float r = x - n * 0.693145752f - n * 1.42860677e-6f;   /* ln2 split in two */
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120
              + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    union { uint32_t u; float f; } s;
    s.u = (uint32_t)(ni + 127) << 23;
    return under ? 0.0f : s.f * p;
}

#endif
