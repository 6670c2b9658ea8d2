/* The convolution's register-tiled kernels built for the avx512 level: AVX-512.
 * See conv_isa.h (why one file per level) and conv_isa_body.h (what is built).
 * Reference: fastnn/backends/numpy_ref/conv.py. */
#include "common/isa.h"

#if FASTNN_X86_VARIANTS   /* elsewhere only the generic build exists */
#define FASTNN_CONV_LEVEL FASTNN_ISA_AVX512
#include "conv_isa_body.h"
#endif
