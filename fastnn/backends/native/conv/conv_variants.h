/* The CPU variants of the convolution's GEMM-based kernels, shared by
 * conv_gemm_kernel.c and conv_winograd_kernel.c. The includer defines
 * CONV_VARIANT_IMPL, the file to compile once per (element type, CPU
 * variant); it is included right after gemm_micro_kernel.h with the same
 * GT/GVLEN/GMR/GNV/GFN/GATTR, plus GCKC (the largest k block, the GEMM's KC
 * for this type) and GCOL2IM (col2im for this type). Each variant's functions
 * get the prefix cs_/cd_ (float/double) + avx512_/avx2_/gen_, and
 * CG_DISPATCH(P, FN, ARGS) calls the one of variant v (see fastnn_cg_variant).
 * Which variants exist and why: gemm_micro_kernel.h.
 */
#ifndef FASTNN_CONV_VARIANTS_H
#define FASTNN_CONV_VARIANTS_H

#if defined(__GNUC__)
#define FASTNN_ALWAYS_INLINE __attribute__((always_inline))
#define FASTNN_UNROLL _Pragma("GCC unroll 32")
#define CG_VECTORS 1
#else
#define FASTNN_ALWAYS_INLINE
#define FASTNN_UNROLL
#define CG_VECTORS 0
#endif
#if defined(__GNUC__)
/* each variant's general GEMM block loop comes with the header, unused here */
#pragma GCC diagnostic ignored "-Wunused-function"
/* im2col rows are short runs (11 elements at 13x13): a memcpy call per run,
 * which GCC's loop-idiom pass would make of them, cost more than the copy. */
#if !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#define CG_X86 1
#else
#define CG_X86 0
#endif

static inline void *cg_align(void *p) { return (char *)p + ((64 - ((uintptr_t)p & 63)) & 63); }

/* Even k blocks of at most kmax. */
static inline long cg_kc(long k, long kmax)
{
    long nb = (k + kmax - 1) / kmax;
    return nb > 0 ? (k + nb - 1) / nb : 1;
}

#include "common/range.h"

#if CG_X86
#define GATTR __attribute__((target("arch=x86-64-v4")))
#define GREGS 32
#define GVLEN 16
#define GMR 12
#define GNV 2
#define GT float
#define GFN(x) cs_avx512_##x
#define GCKC 256
#define GCOL2IM fastnn_col2im_f
#include "gemm/gemm_micro_kernel.h"
#include CONV_VARIANT_IMPL
#undef GT
#undef GFN
#undef GCKC
#undef GCOL2IM
#undef GVLEN
#define GVLEN 8
#define GT double
#define GFN(x) cd_avx512_##x
#define GCKC 192
#define GCOL2IM fastnn_col2im_d
#include "gemm/gemm_micro_kernel.h"
#include CONV_VARIANT_IMPL
#undef GT
#undef GFN
#undef GCKC
#undef GCOL2IM
#undef GVLEN
#undef GMR
#undef GATTR
#undef GREGS

#define GATTR __attribute__((target("arch=x86-64-v3")))
#define GREGS 16
#define GMR 6
#define GVLEN 8
#define GT float
#define GFN(x) cs_avx2_##x
#define GCKC 256
#define GCOL2IM fastnn_col2im_f
#include "gemm/gemm_micro_kernel.h"
#include CONV_VARIANT_IMPL
#undef GT
#undef GFN
#undef GCKC
#undef GCOL2IM
#undef GVLEN
#define GVLEN 4
#define GT double
#define GFN(x) cd_avx2_##x
#define GCKC 192
#define GCOL2IM fastnn_col2im_d
#include "gemm/gemm_micro_kernel.h"
#include CONV_VARIANT_IMPL
#undef GT
#undef GFN
#undef GCKC
#undef GCOL2IM
#undef GVLEN
#undef GMR
#undef GNV
#undef GATTR
#undef GREGS
#endif

/* The portable fallback: 16-byte vectors with GCC/Clang, scalar otherwise. */
#define GATTR
#define GREGS 16
#define GMR 4
#if CG_VECTORS
#define GNV 2
#define GVLEN 4
#else
#define GNV 4
#define GVLEN 1
#endif
#define GT float
#define GFN(x) cs_gen_##x
#define GCKC 256
#define GCOL2IM fastnn_col2im_f
#include "gemm/gemm_micro_kernel.h"
#include CONV_VARIANT_IMPL
#undef GT
#undef GFN
#undef GCKC
#undef GCOL2IM
#undef GVLEN
#if CG_VECTORS
#define GVLEN 2
#else
#define GVLEN 1
#endif
#define GT double
#define GFN(x) cd_gen_##x
#define GCKC 192
#define GCOL2IM fastnn_col2im_d
#include "gemm/gemm_micro_kernel.h"
#include CONV_VARIANT_IMPL
#undef GT
#undef GFN
#undef GCKC
#undef GCOL2IM
#undef GVLEN
#undef GMR
#undef GNV
#undef GATTR
#undef GREGS


#if CG_X86
#define CG_DISPATCH(P, FN, ARGS)                                                         \
    do {                                                                                 \
        if (v == 0) P##_avx512_##FN ARGS;                                                \
        else if (v == 1) P##_avx2_##FN ARGS;                                             \
        else P##_gen_##FN ARGS;                                                          \
    } while (0)
#else
#define CG_DISPATCH(P, FN, ARGS) P##_gen_##FN ARGS
#endif

#endif
