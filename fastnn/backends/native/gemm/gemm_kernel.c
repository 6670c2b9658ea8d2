/* fastnn GEMM: C = alpha * op(A) @ op(B) + beta * C, row-major (see gemm_kernel.h).
 *
 * Algorithm (BLIS-style, written for row-major C):
 *   for jc over n in NC-column blocks
 *     for pc over k in KC-deep blocks:   pack op(B)[pc, jc] into NR-wide micro-panels (L2)
 *       for ic over m in MC-row blocks:  pack op(A)[ic, pc] into MR-tall micro-panels
 *         for each A micro-panel (stays in L1) x each B micro-panel (streams from L2):
 *           MR x NR register-tiled micro-kernel (gemm_micro_kernel.h)
 * With several threads, each takes a slab of C (columns, or rows when C is
 * narrow) and runs this nest on it with private buffers: no barrier inside.
 *
 * Ctrl-C: each thread polls the interrupt flag (common/interrupt.h) once per
 * MC x NC x KC block of its nest (~0.1-0.4 G multiply-adds, milliseconds) and
 * leaves early; the caller's wrapper then raises KeyboardInterrupt.
 *
 * Per-CPU variants: gemm_micro_kernel.h is compiled once per ISA level of
 * fastnn's CPU dispatch (common/isa.h: AVX-512, AVX2+FMA, generic) with GCC
 * target attributes, each with its own tile size, and every call runs the
 * build of the current level (fastnn_isa()). The tile size differs per level
 * (AVX-512 has 32 vector registers, AVX2 16), which is why the whole packing +
 * kernel set is built per level, not only the inner loop. The generic build
 * uses 16-byte vector extensions (SSE2 on x86-64, NEON on aarch64) with
 * GCC/Clang, a plain-C scalar tile with other compilers or -DFASTNN_PLAIN_C.
 *
 * Reference: fastnn/backends/numpy_ref/gemm.py (matmul).
 */
#include <stdlib.h>
#include <string.h>

#include "gemm_kernel.h"
#include "common/interrupt.h"
#include "common/isa.h"
#include "common/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads(void) { return 1; }
static int omp_get_thread_num(void) { return 0; }
static int omp_get_num_threads(void) { return 1; }
static int omp_in_parallel(void) { return 0; }
#endif

/* ---- the variants: one instantiation of gemm_micro_kernel.h each ---------- */

#define GEMM_VARIANT_STRUCT(T, NAME)                                              \
typedef struct {                                                                  \
    const char *tile;   /* the micro-kernel's vectors, for messages */            \
    long mr, nr, kc, mc, nc;                                                      \
    void (*pack_a)(int, long, long, const T *, long, T *, long, long);            \
    void (*pack_b)(int, long, long, const T *, long, T *, long, long);            \
    void (*block)(long, long, long, const T *, const T *, T *, long, T, T,        \
                  long, long, long, long);                                        \
} NAME;
GEMM_VARIANT_STRUCT(float, svariant_t)
GEMM_VARIANT_STRUCT(double, dvariant_t)

#if FASTNN_X86_VARIANTS
/* AVX-512: 12 x 32 float tile = 24 zmm accumulators. */
#define GT float
#define GVLEN 16
#define GMR 12
#define GNV 2
#define GFN(x) s_avx512_##x
#define GATTR FASTNN_TARGET_AVX512
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#define GT double
#define GVLEN 8
#define GMR 12
#define GNV 2
#define GFN(x) d_avx512_##x
#define GATTR FASTNN_TARGET_AVX512
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
/* AVX2 + FMA: 6 x 16 float tile = 12 ymm accumulators. */
#define GT float
#define GVLEN 8
#define GMR 6
#define GNV 2
#define GFN(x) s_avx2_##x
#define GATTR FASTNN_TARGET_AVX2
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#define GT double
#define GVLEN 4
#define GMR 6
#define GNV 2
#define GFN(x) d_avx2_##x
#define GATTR FASTNN_TARGET_AVX2
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#endif

#if FASTNN_HAVE_VECTORS
/* Generic, 16-byte vectors (SSE2 on x86-64, NEON on aarch64): 4 x 2-vector tile. */
#define GT float
#define GVLEN 4
#define GMR 4
#define GNV 2
#define GFN(x) s_generic_##x
#define GATTR
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#define GT double
#define GVLEN 2
#define GMR 4
#define GNV 2
#define GFN(x) d_generic_##x
#define GATTR
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#else
/* Generic, plain C: a 4 x 4 scalar tile the compiler may still vectorise. */
#define GT float
#define GVLEN 1
#define GMR 4
#define GNV 4
#define GFN(x) s_generic_##x
#define GATTR
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#define GT double
#define GVLEN 1
#define GMR 4
#define GNV 4
#define GFN(x) d_generic_##x
#define GATTR
#include "gemm_micro_kernel.h"
#undef GT
#undef GVLEN
#undef GMR
#undef GNV
#undef GFN
#undef GATTR
#endif

/* Block sizes: an A micro-panel (KC x MR) fits in half of L1 (48 KiB here), a
 * B block (KC x NC) in about half of L2 (>= 1 MiB per core on current x86). */
#define VARIANT(P, TILE, MR, NR, KC, MC, NC) \
    { TILE, MR, NR, KC, MC, NC, P##_pack_a, P##_pack_b, P##_block }

#if FASTNN_HAVE_VECTORS
#define GENERIC_TILE "16-byte vectors"
#define S_GENERIC VARIANT(s_generic, GENERIC_TILE, 4, 8, 256, 384, 1024)
#define D_GENERIC VARIANT(d_generic, GENERIC_TILE, 4, 4, 192, 384, 512)
#else
#define S_GENERIC VARIANT(s_generic, "scalar", 4, 4, 256, 384, 1024)
#define D_GENERIC VARIANT(d_generic, "scalar", 4, 4, 192, 384, 512)
#endif

/* Indexed by ISA level; without the x86 builds every level is the generic one. */
static const svariant_t s_variants[FASTNN_ISA_COUNT] = {
    [FASTNN_ISA_GENERIC] = S_GENERIC,
#if FASTNN_X86_VARIANTS
    [FASTNN_ISA_AVX2] = VARIANT(s_avx2, "avx2 ymm", 6, 16, 256, 384, 1024),
    [FASTNN_ISA_AVX512] = VARIANT(s_avx512, "avx512 zmm", 12, 32, 256, 384, 1024),
#else
    [FASTNN_ISA_AVX2] = S_GENERIC,
    [FASTNN_ISA_AVX512] = S_GENERIC,
#endif
};
static const dvariant_t d_variants[FASTNN_ISA_COUNT] = {
    [FASTNN_ISA_GENERIC] = D_GENERIC,
#if FASTNN_X86_VARIANTS
    [FASTNN_ISA_AVX2] = VARIANT(d_avx2, "avx2 ymm", 6, 8, 192, 384, 512),
    [FASTNN_ISA_AVX512] = VARIANT(d_avx512, "avx512 zmm", 12, 16, 192, 384, 512),
#else
    [FASTNN_ISA_AVX2] = D_GENERIC,
    [FASTNN_ISA_AVX512] = D_GENERIC,
#endif
};

/* The register tile of the current level's float build (tests print it). */
const char *fastnn_gemm_tile(void) { return s_variants[fastnn_isa()].tile; }

/* ---- the driver ----------------------------------------------------------- */

static void split_range(long n, int tid, int nth, long *lo, long *hi)
{
    long base = n / nth, extra = n % nth;
    *lo = tid * base + (tid < extra ? tid : extra);
    *hi = *lo + base + (tid < extra);
}

/* Packing scratch: 64-byte aligned (the micro-kernel does aligned vector loads
 * from the packed panels) and recycled between calls through a few lock-free
 * slots. A fresh malloc of this size is an mmap, and touching its pages costs
 * as much as a 256^3 product; concurrent callers (other kernels' OpenMP
 * threads) each take a slot or, when none is free, allocate their own. */
typedef struct { size_t bytes; void *raw; } scratch_t;

#if defined(__GNUC__)
#define SCRATCH_SLOTS 4
static scratch_t *scratch_slot[SCRATCH_SLOTS];
#define SLOT_SWAP(i, val) __atomic_exchange_n(&scratch_slot[i], (val), __ATOMIC_ACQ_REL)
#else
#define SCRATCH_SLOTS 0     /* no portable atomics: allocate every call */
#define SLOT_SWAP(i, val) ((void)(i), (scratch_t *)(val))
#endif

static scratch_t *scratch_get(size_t bytes)
{
    for (int i = 0; i < SCRATCH_SLOTS; i++) {
        scratch_t *s = SLOT_SWAP(i, NULL);
        if (s == NULL) continue;
        if (s->bytes >= bytes) return s;
        free(s->raw);
        free(s);
        break;
    }
    scratch_t *s = (scratch_t *)malloc(sizeof(scratch_t));
    if (s == NULL) return NULL;
    s->raw = malloc(bytes + 64);
    if (s->raw == NULL) { free(s); return NULL; }
    s->bytes = bytes;
    return s;
}

static void scratch_put(scratch_t *s)
{
    for (int i = 0; i < SCRATCH_SLOTS && s != NULL; i++)
        s = SLOT_SWAP(i, s);        /* park it; carry on with whatever was there */
    if (s != NULL) { free(s->raw); free(s); }
}

static void *aligned64(void *raw)
{
    return (char *)raw + ((64 - ((size_t)raw & 63)) & 63);
}

/* Below FASTNN_PAR_MIN_MACS multiply-adds one thread is faster than waking a team. */

/* Block sizes for an m x n x k problem: even k blocks; when k is small the m
 * and n blocks widen so that the buffers (and the work per packing) stay the
 * same size. */
static void blocking(long mr, long nr, long kc_max, long mc_max, long nc_max,
                     long m, long n, long k, long *mc, long *nc, long *kc)
{
    long kblocks = (k + kc_max - 1) / kc_max;
    *kc = (k + kblocks - 1) / kblocks;
    *mc = mc_max * kc_max / *kc; *mc -= *mc % mr;
    *nc = nc_max * kc_max / *kc; *nc -= *nc % nr;
    long m_r = (m + mr - 1) / mr * mr, n_r = (n + nr - 1) / nr * nr;
    if (*mc > m_r) *mc = m_r;
    if (*nc > n_r) *nc = n_r;
}

/* DEFINE_GEMM's team: a #pragma cannot sit in a macro, _Pragma can; without
 * OpenMP nothing (some C99 compilers, tcc, lack _Pragma). */
#ifdef _OPENMP
#define GEMM_OMP_PARALLEL_NT _Pragma("omp parallel num_threads(nt)")
#else
#define GEMM_OMP_PARALLEL_NT
#endif

#define DEFINE_GEMM(NAME, T, VT, VARIANTS)                                              \
static void NAME##_naive(int ta, int tb, long m, long n, long k, T alpha,               \
                         const T *a, long lda, const T *b, long ldb, T beta,            \
                         T *c, long ldc)                                                \
{                                                                                       \
    /* Used only when the packing buffers cannot be allocated. */                       \
    for (long i = 0; i < m; i++)                                                        \
        for (long j = 0; j < n; j++) {                                                  \
            T s = 0;                                                                    \
            for (long p = 0; p < k; p++)                                                \
                s += (ta ? a[p * lda + i] : a[i * lda + p])                             \
                   * (tb ? b[j * ldb + p] : b[p * ldb + j]);                            \
            c[i * ldc + j] = alpha * s + (beta == 0 ? (T)0 : beta * c[i * ldc + j]);    \
        }                                                                               \
}                                                                                       \
                                                                                        \
/* One thread's whole product: the BLIS loop nest with private buffers. */             \
static void NAME##_serial(const VT *v, int ta, int tb, long m, long n, long k,          \
                          T alpha, const T *a, long lda, const T *b, long ldb,          \
                          T beta, T *c, long ldc, const fastnn_flag_t *stop)            \
{                                                                                       \
    const long mr = v->mr, nr = v->nr;                                                  \
    long mc, nc, kc;                                                                    \
    blocking(mr, nr, v->kc, v->mc, v->nc, m, n, k, &mc, &nc, &kc);                      \
    size_t abytes = ((size_t)mc * kc * sizeof(T) + 63) / 64 * 64;                       \
    scratch_t *scratch = scratch_get(abytes + (size_t)nc * kc * sizeof(T));             \
    if (scratch == NULL) {                                                              \
        NAME##_naive(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);             \
        return;                                                                         \
    }                                                                                   \
    T *abuf = (T *)aligned64(scratch->raw);                                             \
    T *bbuf = (T *)((char *)abuf + abytes);                                             \
    for (long jc = 0; jc < n; jc += nc) {                                               \
        long ncur = n - jc < nc ? n - jc : nc, npan = (ncur + nr - 1) / nr;             \
        for (long pc = 0; pc < k; pc += kc) {                                           \
            long kcur = k - pc < kc ? k - pc : kc;                                      \
            T beff = pc == 0 ? beta : (T)1;   /* later k blocks accumulate */           \
            v->pack_b(tb, kcur, ncur, tb ? b + jc * ldb + pc : b + pc * ldb + jc,       \
                      ldb, bbuf, 0, npan);                                              \
            for (long ic = 0; ic < m; ic += mc) {                                       \
                if (fastnn_stopped(stop)) goto done;   /* outputs unspecified */        \
                long mcur = m - ic < mc ? m - ic : mc, mpan = (mcur + mr - 1) / mr;     \
                v->pack_a(ta, mcur, kcur, ta ? a + pc * lda + ic : a + ic * lda + pc,   \
                          lda, abuf, 0, mpan);                                          \
                v->block(mcur, ncur, kcur, abuf, bbuf, c + ic * ldc + jc, ldc,          \
                         alpha, beff, 0, mpan, 0, npan);                                \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
done:                                                                                   \
    scratch_put(scratch);                                                               \
}                                                                                       \
                                                                                        \
void NAME(int ta, int tb, long m, long n, long k, T alpha, const T *a, long lda,        \
          const T *b, long ldb, T beta, T *c, long ldc, int nthreads)                   \
{                                                                                       \
    if (m <= 0 || n <= 0) return;                                                       \
    if (k <= 0 || alpha == 0) {                                                         \
        for (long i = 0; i < m; i++)                                                    \
            for (long j = 0; j < n; j++)                                                \
                c[i * ldc + j] = beta == 0 ? (T)0 : beta * c[i * ldc + j];              \
        return;                                                                         \
    }                                                                                   \
    const VT *v = &VARIANTS[fastnn_isa()];   /* one level for the whole call */         \
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* on the calling thread */    \
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();                           \
    if (nt < 1 || omp_in_parallel() || (double)m * n * k < (double)FASTNN_PAR_MIN_MACS)   \
        nt = 1;                                                                         \
    if (nt == 1) {                                                                      \
        NAME##_serial(v, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stop);   \
        return;                                                                         \
    }                                                                                   \
    /* Each thread takes a slab of C, whole micro-panels wide, and runs the serial     \
     * nest on it with its own buffers: columns when C is wide enough, else rows.      \
     * No barrier inside the product (OpenMP threads sleep at barriers, see            \
     * fastnn/__init__.py), each B block stays in its thread's L2, and the packing    \
     * of the shared operand is repeated per thread, which costs ~1/(slab width) of   \
     * the multiply. Tiles never split k, so the result is the same for any team.  */  \
    const long npan = (n + v->nr - 1) / v->nr, mpan = (m + v->mr - 1) / v->mr;        \
    const int by_cols = npan >= 2L * nt || npan >= mpan;                                \
    GEMM_OMP_PARALLEL_NT                                                                \
    {                                                                                   \
        long lo, hi;                                                                    \
        split_range(by_cols ? npan : mpan, omp_get_thread_num(), omp_get_num_threads(), \
                    &lo, &hi);                                                          \
        if (by_cols) {                                                                  \
            long j0 = lo * v->nr, j1 = hi * v->nr < n ? hi * v->nr : n;                 \
            if (j1 > j0)                                                                \
                NAME##_serial(v, ta, tb, m, j1 - j0, k, alpha, a, lda,                  \
                              tb ? b + j0 * ldb : b + j0, ldb, beta, c + j0, ldc, stop);\
        } else {                                                                        \
            long i0 = lo * v->mr, i1 = hi * v->mr < m ? hi * v->mr : m;                 \
            if (i1 > i0)                                                                \
                NAME##_serial(v, ta, tb, i1 - i0, n, k, alpha,                          \
                              ta ? a + i0 : a + i0 * lda, lda, b, ldb, beta,            \
                              c + i0 * ldc, ldc, stop);                                 \
        }                                                                               \
    }                                                                                   \
}

DEFINE_GEMM(fastnn_sgemm, float, svariant_t, s_variants)
DEFINE_GEMM(fastnn_dgemm, double, dvariant_t, d_variants)
