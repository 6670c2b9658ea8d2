/* Compile the file FASTNN_ISA_BODY once per ISA level (see isa.h), with
 *   FASTNN_TARGET      the function attribute that lets the compiler use the
 *                      level's instructions (empty for the generic build)
 *   FASTNN_V(name)     name with the level's suffix: name_generic, name_avx2,
 *                      name_avx512 (what FASTNN_ISA_CALL calls)
 * defined around each inclusion. A body defines its functions as
 *     static FASTNN_TARGET void FASTNN_V(fastnn_relu_fwd_f32)(...)
 * and helpers it inlines into them as FASTNN_INLINE with FASTNN_V names too.
 * FASTNN_ISA_BODY is the body's path under fastnn/backends/native/
 * ("conv/conv_im2col_kernel_impl.h"): a quoted #include in this header is
 * looked up from common/ first, then on the include path.
 * No include guard: a family includes it once per body and element type.
 */
#define FASTNN_V(name) FASTNN_PASTE(name, FASTNN_ISA_SUFFIX)

#define FASTNN_TARGET
#define FASTNN_ISA_SUFFIX _generic
#include FASTNN_ISA_BODY
#undef FASTNN_TARGET
#undef FASTNN_ISA_SUFFIX

#if FASTNN_X86_VARIANTS
#define FASTNN_TARGET FASTNN_TARGET_AVX2
#define FASTNN_ISA_SUFFIX _avx2
#include FASTNN_ISA_BODY
#undef FASTNN_TARGET
#undef FASTNN_ISA_SUFFIX

#define FASTNN_TARGET FASTNN_TARGET_AVX512
#define FASTNN_ISA_SUFFIX _avx512
#include FASTNN_ISA_BODY
#undef FASTNN_TARGET
#undef FASTNN_ISA_SUFFIX
#endif

#undef FASTNN_V
