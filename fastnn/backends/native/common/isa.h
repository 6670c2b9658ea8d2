/* fastnn's CPU dispatch: one mechanism for every native kernel family.
 *
 * An instruction-set level is chosen once per process, at run time: the best
 * level this CPU executes, or the one the environment variable FASTNN_ISA
 * names (common/_isa.pyx reads it when the first native module is imported).
 * Every family compiles its hot functions once per level, with function
 * attributes rather than -march (the same binary runs on any x86-64), and
 * calls the build of the current level:
 *
 *     const int isa = fastnn_isa();        read once per kernel call
 *     FASTNN_ISA_CALL(isa, fastnn_relu_fwd_f32, (x, y, n));
 *
 * which calls fastnn_relu_fwd_f32_avx512, _avx2 or _generic. Reading the level
 * once per call and passing it down keeps a call on one level even if
 * fastnn.backends.native.set_isa() switches between calls (packed operands
 * have a per-level layout).
 *
 * Levels, the index of every family's variant table:
 *   FASTNN_ISA_GENERIC  portable C, vectorised by the compiler for its baseline
 *                       (SSE2 on x86-64, NEON on aarch64)
 *   FASTNN_ISA_AVX2     x86-64 with AVX2 and FMA
 *   FASTNN_ISA_AVX512   x86-64 with AVX-512 F, BW, CD, DQ and VL (+ AVX2, FMA)
 * The x86 levels are compiled where the compiler takes target attributes on
 * x86-64 (GCC, Clang); elsewhere only the generic build exists and every
 * level number calls it. -DFASTNN_PLAIN_C builds plain C only (no vector
 * types, no per-level builds): what a compiler without GCC extensions gets,
 * so that it can be tested with GCC.
 *
 * The decision lives in the _isa module (isa.c); the other native modules
 * compile isa_link.c and read it through a pointer handed over when they are
 * imported, so every family follows the one decision.
 */
#ifndef FASTNN_ISA_H
#define FASTNN_ISA_H

/* Macros, not an enum, so that #if can test them. */
#define FASTNN_ISA_GENERIC 0
#define FASTNN_ISA_AVX2 1
#define FASTNN_ISA_AVX512 2
#define FASTNN_ISA_COUNT 3

/* The level kernels run now, in [0, FASTNN_ISA_COUNT): the _isa module's
 * decision, read through a pointer (one load; the generic level until the
 * module links, see isa_link.c). */
extern const volatile int *fastnn_isa_level;
static inline int fastnn_isa(void) { return *fastnn_isa_level; }

/* isa_link.c: make this module read `level` (the _isa module's decision). */
void fastnn_isa_link(const volatile int *level);

/* isa.c (the _isa module, and C programs that compile isa.c themselves; those
 * start at the generic level and call fastnn_isa_set for another). */
int fastnn_isa_runs(int level);            /* 1: compiled in and this CPU executes it */
int fastnn_isa_best(void);                 /* the best level fastnn_isa_runs accepts */
const char *fastnn_isa_name(int level);    /* "generic", "avx2", "avx512"; NULL out of range */
int fastnn_isa_from_name(const char *name);  /* the level called name, or -1 */
void fastnn_isa_set(int level);            /* a level fastnn_isa_runs accepted */

/* ---- compiler support -------------------------------------------------------- */

#if defined(__GNUC__) && !defined(FASTNN_PLAIN_C)
/* GCC/Clang vector extensions (vector_size types): the GEMM tiles use them. */
#define FASTNN_HAVE_VECTORS 1
#define FASTNN_ALWAYS_INLINE __attribute__((always_inline))
#define FASTNN_UNROLL _Pragma("GCC unroll 32")
#else
#define FASTNN_HAVE_VECTORS 0
#define FASTNN_ALWAYS_INLINE
#define FASTNN_UNROLL
#endif
/* Helpers inside a per-level function must be inlined into it to get its ISA. */
#define FASTNN_INLINE static inline FASTNN_ALWAYS_INLINE

/* Kept out of line on purpose (one copy of a big loop instead of one per call
 * site), and a prefetch for writing; nothing where the compiler lacks them. */
#if defined(__GNUC__)
#define FASTNN_NOINLINE __attribute__((noinline))
#define FASTNN_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#elif defined(_MSC_VER)
#define FASTNN_NOINLINE __declspec(noinline)
#define FASTNN_PREFETCH_W(p) ((void)(p))
#else
#define FASTNN_NOINLINE
#define FASTNN_PREFETCH_W(p) ((void)(p))
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(FASTNN_PLAIN_C)
#define FASTNN_X86_VARIANTS 1
/* Feature lists rather than arch=x86-64-v3/v4: older GCC and Clang take them. */
#define FASTNN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define FASTNN_TARGET_AVX512 \
    __attribute__((target("avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma")))
#else
#define FASTNN_X86_VARIANTS 0
#endif

#define FASTNN_PASTE_(a, b) a##b
#define FASTNN_PASTE(a, b) FASTNN_PASTE_(a, b)

/* Call fn's build for level isa: fn_avx512, fn_avx2 or fn_generic, all with
 * the arguments args. A conditional, so the compiler sees every callee. */
#if FASTNN_X86_VARIANTS
#define FASTNN_ISA_CALL(isa, fn, args)                                             \
    ((isa) == FASTNN_ISA_AVX512 ? FASTNN_PASTE(fn, _avx512) args                  \
     : (isa) == FASTNN_ISA_AVX2 ? FASTNN_PASTE(fn, _avx2) args                    \
     : FASTNN_PASTE(fn, _generic) args)
#else
#define FASTNN_ISA_CALL(isa, fn, args) ((void)(isa), FASTNN_PASTE(fn, _generic) args)
#endif

#endif
