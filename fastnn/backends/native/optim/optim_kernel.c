/* Fused optimizer updates: SGD (momentum, dampening, Nesterov), Adam / AdamW
 * (AMSGrad), RMSprop (centered, momentum) and Adagrad, each with weight decay
 * and maximize, for float32 and float64.
 *
 * Algorithm: the NumPy reference makes one pass over memory per operation
 * (Adam: ~10 passes over 4-5 arrays); here each element of a parameter and of
 * its optimizer state is loaded once, updated in registers, and stored once --
 * one streaming pass, which is what bounds the speed of an update. The
 * operations, their order and their rounding are the reference's, one by one
 * (no reassociation, no reciprocal instead of a division, no fused
 * multiply-add: _optim.pyx is built with -ffp-contract=off, because GCC would
 * otherwise contract a * b + c into an FMA in the AVX-512 clone, and clang and
 * aarch64 GCC everywhere), so the results are the reference's to the bit.
 *
 * Each optimizer has one loop body (an always-inline function) whose options
 * -- weight-decay mode, momentum, AMSGrad, centered -- are compile-time
 * constants at its call sites, so every combination compiles to a branch-free
 * loop that GCC vectorises; the entry point picks the combination once per
 * call. Entry points are built once per ISA level of fastnn's CPU dispatch
 * (common/isa.h: AVX-512, AVX2, generic) and run the build of the current
 * level: sqrt and division, 2-3 per element, are the arithmetic that could
 * keep up with memory only at full vector width.
 *
 * Threads: the caller (_optim.pyx) splits the concatenation of all parameters
 * of a group into one contiguous range per thread and calls these kernels on
 * the pieces of the parameters each range covers.
 * Reference: fastnn/backends/numpy_ref/optim.py.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "optim/optim_kernel.h"

#include "common/isa.h"

#define FASTNN_ISA_BODY "optim/optim_kernel_impl.h"
#define T float
#define FN(name) FASTNN_V(fnn_##name##_f32)
#define SQRT sqrtf
#include "common/isa_each.h"
#undef T
#undef FN
#undef SQRT

#define T double
#define FN(name) FASTNN_V(fnn_##name##_f64)
#define SQRT sqrt
#include "common/isa_each.h"
#undef T
#undef FN
#undef SQRT

/* The entry points run the build of the current level. */
#define FASTNN_OPTIM_API(SUF, NAME)                                                        \
void fnn_##NAME##_##SUF(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,  \
                        const double *per)                                                 \
{                                                                                          \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_##NAME##_##SUF, (a, i0, i1, c, per));                \
}
FASTNN_OPTIM_API(f32, sgd)
FASTNN_OPTIM_API(f32, adam)
FASTNN_OPTIM_API(f32, rmsprop)
FASTNN_OPTIM_API(f32, adagrad)
FASTNN_OPTIM_API(f64, sgd)
FASTNN_OPTIM_API(f64, adam)
FASTNN_OPTIM_API(f64, rmsprop)
FASTNN_OPTIM_API(f64, adagrad)
