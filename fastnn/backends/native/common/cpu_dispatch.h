/* Per-CPU variants of the hottest loops, chosen when the extension loads.
 *
 * FASTNN_CLONES before a function makes GCC compile it for AVX-512, AVX2 and
 * baseline x86-64 and pick one at load time from the CPU's features (ISA
 * names, not arch= levels: GCC dispatches arch= clones on the CPU model, and
 * GCC 12 does not know this machine's model). Everywhere else -- clang, other
 * CPUs, other systems -- it expands to nothing and the plain C is compiled
 * once, so the package still builds. Nothing is built with -march=native.
 */
#ifndef FASTNN_CPU_DISPATCH_H
#define FASTNN_CPU_DISPATCH_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FASTNN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* For loops whose AVX-512 build measured slower than AVX2 (the strided 2x2
 * max-pool: 3x slower on the development Xeon). */
#define FASTNN_CLONES_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define FASTNN_CLONES
#define FASTNN_CLONES_AVX2
#endif

/* Helpers inside a cloned loop must be inlined into each clone to get its ISA. */
#if defined(__GNUC__)
#define FASTNN_INLINE static inline __attribute__((always_inline))
#else
#define FASTNN_INLINE static inline
#endif

#endif
