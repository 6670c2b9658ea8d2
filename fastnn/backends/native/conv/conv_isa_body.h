/* One ISA level's build of the convolution's register-tiled kernels, for float
 * and double: gemm/gemm_micro_kernel.h (the GEMM's tile, packing of the
 * operands the convolution does not pack itself), then one file per algorithm on
 * top of the convolution's register tile (conv_tile_impl.h): packed GEMM
 * (conv_gemm_kernel_impl.h), small k (conv_small_kernel_impl.h) and Winograd
 * (conv_winograd_kernel_impl.h). The including file (conv_isa_<level>.c)
 * defines FASTNN_CONV_LEVEL; see conv_isa.h for why one file per level.
 *
 * The template parameters of those headers, per level (as in gemm_kernel.c):
 *   GT, GFN(x)   element type and the names of this build's functions
 *                (fastnn_<x>_<f|d>_<level>, e.g. fastnn_cg_forward_f_avx512)
 *   GATTR        the level's target attribute (empty for generic)
 *   GVLEN, GNV   vector width (elements) and vectors per tile row
 *   GMR, GREGS   tile rows, and vector registers the level has
 *   GCKC         the largest k block (the GEMM's KC for this type)
 *   GCOL2IM      col2im for this type (conv_im2col_kernel.c)
 */
#include <stdint.h>
#include <string.h>

#include "conv_small_kernel.h"  /* FASTNN_CG_SMALL_K */
#include "conv_isa.h"

#if defined(__GNUC__)
/* each level's general GEMM block loop comes with the micro-kernel header, unused here */
#pragma GCC diagnostic ignored "-Wunused-function"
/* im2col rows are short runs (11 elements at 13x13): a memcpy call per run,
 * which GCC's loop-idiom pass would make of them, cost more than the copy. */
#if !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif
#endif

#if FASTNN_CONV_LEVEL == FASTNN_ISA_AVX512
#define FASTNN_ISA_SUFFIX _avx512
#define GATTR FASTNN_TARGET_AVX512
#define GREGS 32
#define GMR 12
#define GNV 2
#define GVLEN_F 16
#define GVLEN_D 8
#elif FASTNN_CONV_LEVEL == FASTNN_ISA_AVX2
#define FASTNN_ISA_SUFFIX _avx2
#define GATTR FASTNN_TARGET_AVX2
#define GREGS 16
#define GMR 6
#define GNV 2
#define GVLEN_F 8
#define GVLEN_D 4
#else
/* generic: 16-byte vectors with GCC/Clang, scalar otherwise */
#define FASTNN_ISA_SUFFIX _generic
#define GATTR
#define GREGS 16
#define GMR 4
#if FASTNN_HAVE_VECTORS
#define GNV 2
#define GVLEN_F 4
#define GVLEN_D 2
#else
#define GNV 4
#define GVLEN_F 1
#define GVLEN_D 1
#endif
#endif

#define GT float
#define GVLEN GVLEN_F
#define GFN(x) FASTNN_PASTE(fastnn_##x##_f, FASTNN_ISA_SUFFIX)
#define GCKC 256
#define GCOL2IM fastnn_col2im_f
#include "gemm/gemm_micro_kernel.h"
#include "conv_tile_impl.h"
#include "conv_gemm_kernel_impl.h"
#include "conv_small_kernel_impl.h"
#undef CNR                    /* conv_tile_impl.h's tile width, for the two above */
#include "conv_winograd_kernel_impl.h"
#undef GT
#undef GVLEN
#undef GFN
#undef GCKC
#undef GCOL2IM

#define GT double
#define GVLEN GVLEN_D
#define GFN(x) FASTNN_PASTE(fastnn_##x##_d, FASTNN_ISA_SUFFIX)
#define GCKC 192
#define GCOL2IM fastnn_col2im_d
#include "gemm/gemm_micro_kernel.h"
#include "conv_tile_impl.h"
#include "conv_gemm_kernel_impl.h"
#include "conv_small_kernel_impl.h"
#undef CNR                    /* conv_tile_impl.h's tile width, for the two above */
#include "conv_winograd_kernel_impl.h"
