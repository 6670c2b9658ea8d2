/* One ISA level's build of the fused inference kernels, for float and double.
 * The including file (fused_isa_<level>.c) defines FUSED_LEVEL.
 *
 * Direct convolution, vectorised over output channels. A tile is 4 output
 * pixels x NV vectors of output channels, all in registers; for every kernel
 * tap and input channel it loads NV vectors of packed weights (one row of
 * [kh][kw][c][coutp]) and broadcasts 4 input values, 4 * NV multiply-adds.
 * The input is channels last and already zero-padded, so the inner loop has
 * no branch and walks both operands contiguously; no im2col matrix is made.
 * With a max pool (window = stride) the 4 pixels are taps of one window
 * (windows of other sizes go 4 taps at a time, the last group repeating its
 * last tap), and the epilogue takes their maximum; else they are 4
 * consecutive output positions (the last tile repeating its last one). The
 * epilogue adds the bias after the maximum (max(a + b, c + b) = max(a, c) + b),
 * then the ReLU (which commutes with max), and stores the channels that exist
 * with the caller's strides. NaN propagates through the maximum (as
 * torch.max_pool2d) and the ReLU (as torch.relu).
 *
 * Linear: the same tile with R rows of x in place of pixels (R = 4, or 1 for
 * the last rows, so a batch-1 call does no redundant work) and the weights
 * packed transposed, [in][outp].
 *
 * Register budget (accumulators + weight vectors + a broadcast): AVX-512 has
 * 32 vector registers: conv 4 x 4 (+4 +1), one-row linear 1 x 8; AVX2 and
 * SSE2 16: conv 4 x 2, one-row linear 1 x 4. A tile's NV is a constant in
 * each case of a switch (the helpers are always inlined), so the compiler
 * unrolls the loops and keeps the accumulators in registers.
 * Reference: fastnn/backends/numpy_ref/conv.py, pool.py, gemm.py.
 */
#include <stddef.h>

#include "fused_isa.h"

#if FUSED_LEVEL == FASTNN_ISA_AVX512
#define FZ_SUFFIX _avx512
#define FZ_ATTR FASTNN_TARGET_AVX512
#define FZ_BYTES 64
#define FZ_NV 4        /* vectors per 4-pixel (4-row) tile */
#define FZ_NV1 8       /* vectors per one-row linear tile */
#elif FUSED_LEVEL == FASTNN_ISA_AVX2
#define FZ_SUFFIX _avx2
#define FZ_ATTR FASTNN_TARGET_AVX2
#define FZ_BYTES 32
#define FZ_NV 2
#define FZ_NV1 4
#else
#define FZ_SUFFIX _generic
#define FZ_ATTR
#define FZ_BYTES 16    /* SSE2 / NEON; scalar when the compiler has no vector types */
#define FZ_NV 2
#define FZ_NV1 4
#endif

#define FT float
#define FS f32
#include "fused_isa_type.h"
#undef FT
#undef FS

#define FT double
#define FS f64
#include "fused_isa_type.h"
#undef FT
#undef FS

#undef FZ_SUFFIX
#undef FZ_ATTR
#undef FZ_BYTES
#undef FZ_NV
#undef FZ_NV1
