/* The fused inference kernels built for the generic level: portable C that
 * the compiler vectorises for its baseline (SSE2, NEON). See fused_isa.h and
 * fused_isa_body.h. Reference: fastnn/backends/numpy_ref/conv.py, pool.py, gemm.py. */
#include "common/isa.h"

#define FUSED_LEVEL FASTNN_ISA_GENERIC
#include "fused_isa_body.h"
