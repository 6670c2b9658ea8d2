/* Introspection of fastnn's GEMM run-time dispatch (tests, benchmarks, debugging).
 * The GEMM itself is declared in gemm_kernel.h; this header only names the
 * per-CPU variants compiled into gemm_kernel.c and lets a caller pin one.
 */
#ifndef FASTNN_GEMM_DISPATCH_KERNEL_H
#define FASTNN_GEMM_DISPATCH_KERNEL_H

#ifdef __cplusplus
extern "C" {
#endif

/* Name of the i-th variant this CPU can run, best first; NULL past the end. */
const char *fastnn_gemm_variant_name(int i);

/* The variant fastnn_sgemm/fastnn_dgemm use now ("avx512", "avx2", "sse2", "neon"...). */
const char *fastnn_gemm_current_variant(void);

/* Pin a variant by name (NULL or "" = automatic choice). Returns 0, or -1 when
 * the name is unknown or this CPU cannot run it (the setting is then unchanged). */
int fastnn_gemm_set_variant(const char *name);

#ifdef __cplusplus
}
#endif
#endif
