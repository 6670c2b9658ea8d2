/* fastnn recurrent kernels: Elman RNN, LSTM and GRU sequences, forward and backward.
 *
 * Algorithm (one layer, one direction, time-major):
 *   forward:  per step the gate pre-activations x_t W_ih^T + h_{t-1} W_hh^T (float32:
 *             both weights packed once per sequence and the two products summed in
 *             one pass, rnn_gemm_kernel.c; float64: the input projection of all T
 *             steps is one GEMM first) and a single fused pass per batch row that
 *             adds the biases, applies the gate activations and the cell update in
 *             place (the buffer ends holding the activated gates that backward
 *             needs; no per-gate temporaries).
 *   backward: walks the steps in reverse: a fused pass per row turns dh/dc into
 *             the gate pre-activation grads, one GEMM carries them back to dh_{t-1};
 *             the weight grads are GEMMs against the rows [x_t | h_{t-1}] (two
 *             for the GRU): float32, per chunk of ~256 rows inside the step loop
 *             while the gate grads are in cache; float64, all steps at once
 *             after it. dx is one more GEMM (skipped when not needed), the bias
 *             grads sums over the rows.
 * The whole time loop runs in C without the GIL. float32 runs it on a persistent
 * OpenMP team (rnn_team_impl.h); the products go to fastnn's one GEMM
 * (compiled in gemm/_gemm, reached through gemm/gemm_link.c), on its own team or
 * as one thread's slab inside a team (never a team inside a team).
 *
 * Ctrl-C (common/interrupt.h): every time loop polls the interrupt flag once
 * per step and stops; the persistent teams agree on the step first.
 *
 * float32 uses its own branch-free exp/sigmoid/tanh so the fused passes vectorise;
 * float64 uses libm. The fused passes (rnn_rows_impl.h) are built once per ISA
 * level (common/isa.h) and the drivers (rnn_kernel_impl.h, once per precision)
 * run the build of the level read at the start of each call.
 *
 * Reference: fastnn/backends/numpy_ref/rnn.py.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* Lets GCC if-convert the clamps in the activations (a compare that might trap
 * would otherwise keep a branch in the loop and block vectorisation). */
#pragma GCC optimize ("no-trapping-math")
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rnn_kernel.h"
#include "rnn_gemm_kernel.h"
#include "gemm/gemm_kernel.h"
#include "common/interrupt.h"
#include "common/isa.h"
#include "common/parallel.h"

/* This thread's share [*lo, *hi) of n items in the current OpenMP team. */
#ifdef _OPENMP
static inline void fnn_team_share(long n, long *lo, long *hi)
{
    long t = omp_get_thread_num(), k = omp_get_num_threads();
    *lo = n * t / k;
    *hi = n * (t + 1) / k;
}
#else
static inline void fnn_team_share(long n, long *lo, long *hi) { *lo = 0; *hi = n; }
#endif

/* The same for n float columns, cut at whole 64-byte lines (16 floats) so
 * that no two threads write into one line of a row. */
static inline void fnn_team_share_lines(long n, long *lo, long *hi)
{
    fnn_team_share((n + 15) / 16, lo, hi);
    *lo = *lo * 16 < n ? *lo * 16 : n;
    *hi = *hi * 16 < n ? *hi * 16 : n;
}

/* Buffers whose rows the vector loops stream (packed weights, states, the
 * weight-grad rows) start on a cache line: with malloc's 16-byte alignment a
 * 64-byte AVX-512 access can straddle two lines. The raw pointer sits just
 * below the aligned one. */
static void *fnn_malloc64(size_t bytes)
{
    char *raw = malloc(bytes + 64), *p;
    if (!raw) return NULL;
    p = (char *)(((uintptr_t)raw + 64) & ~(uintptr_t)63);   /* >= raw + 16: room below */
    ((void **)p)[-1] = raw;
    return p;
}

static void fnn_free64(void *p)
{
    if (p) free(((void **)p)[-1]);
}

/* The families the shared step loops tell apart (rnn_kernel_impl.h). */
enum { FASTNN_RNN_ELMAN, FASTNN_RNN_LSTM, FASTNN_RNN_GRU };

/* Fused passes go parallel over batch rows only when a step has this much work. */
#define FASTNN_RNN_PAR_MIN FASTNN_PAR_MIN_ELEMS

/* e^x - 1 for float32, branch-free: x = n ln2 + r with |r| <= ln2/2, e^r - 1 by
 * its Taylor series to r^7 (error below 1 ulp there), then
 * 2^n e^r - 1 = (2^n - 1) + 2^n (e^r - 1), exact for n = 0 so tanh stays
 * accurate near 0. Clamping to [-88, 88] keeps 2^n a normal float. */
FASTNN_INLINE float fnn_expm1f(float x)
{
    x = isless(x, -88.0f) ? -88.0f : x;
    x = isgreater(x, 88.0f) ? 88.0f : x;
    float n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;  /* round to nearest */
    float r = x - n * 0.693145752f - n * 1.42860677e-6f;       /* ln2 split in two */
    float q = r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120
              + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    union { int32_t i; float f; } s;
    s.i = ((int32_t)n + 127) << 23;
    return (s.f - 1.0f) + s.f * q;
}

FASTNN_INLINE float fnn_sigmoidf(float x) { return 1.0f / (2.0f + fnn_expm1f(-x)); }
FASTNN_INLINE float fnn_tanhf(float x) { float e = fnn_expm1f(2.0f * x); return e / (e + 2.0f); }
FASTNN_INLINE double fnn_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
FASTNN_INLINE double fnn_tanh(double x) { return tanh(x); }

#define REAL float
#define SIGMOID fnn_sigmoidf
#define TANH fnn_tanhf
#define FASTNN_ISA_BODY "rnn/rnn_rows_impl.h"
#define FN(name) FASTNN_V(fastnn_##name##_f32)
#include "common/isa_each.h"
#undef FN
#define FN(name) fastnn_##name##_f32
#define GEMM fastnn_sgemm
#define FASTNN_RNN_PACKED 1
#include "rnn_kernel_impl.h"
#undef REAL
#undef SIGMOID
#undef TANH
#undef FN
#undef GEMM
#undef FASTNN_RNN_PACKED

#define REAL double
#define SIGMOID fnn_sigmoid
#define TANH fnn_tanh
#define FN(name) FASTNN_V(fastnn_##name##_f64)
#include "common/isa_each.h"
#undef FN
#define FN(name) fastnn_##name##_f64
#define GEMM fastnn_dgemm
#define FASTNN_RNN_PACKED 0
#include "rnn_kernel_impl.h"
