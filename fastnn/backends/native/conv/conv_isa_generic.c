/* The convolution's register-tiled kernels built for the generic level: portable C (16-byte vectors with GCC/Clang, scalar otherwise).
 * See conv_isa.h (why one file per level) and conv_isa_body.h (what is built).
 * Reference: fastnn/backends/numpy_ref/conv.py. */
#include "common/isa.h"

#define FASTNN_CONV_LEVEL FASTNN_ISA_GENERIC
#include "conv_isa_body.h"
