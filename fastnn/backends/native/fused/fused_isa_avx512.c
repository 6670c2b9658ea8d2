/* The fused inference kernels built for the avx512 level. See fused_isa.h and
 * fused_isa_body.h. Reference: fastnn/backends/numpy_ref/conv.py, pool.py, gemm.py. */
#include "common/isa.h"

#if FASTNN_X86_VARIANTS   /* elsewhere only the generic build exists */
#define FUSED_LEVEL FASTNN_ISA_AVX512
#include "fused_isa_body.h"
#endif
