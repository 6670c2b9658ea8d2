/* The ISA decision of fastnn's CPU dispatch (see isa.h): which levels this
 * build has and this CPU executes, and the one kernels use now.
 *
 * Compiled into the _isa module only, so the process has one decision; the
 * other native modules read it through isa_link.c. C programs that compile a
 * kernel file on its own (tests/backends/gemm_plain_c_check.c) compile this
 * file beside it and pick levels with fastnn_isa_set.
 *
 * __builtin_cpu_supports also checks that the operating system saves the
 * AVX / AVX-512 registers (XGETBV), so "supported" means "safe to run".
 */
#include <string.h>

#include "common/isa.h"

static const char *const names[FASTNN_ISA_COUNT] = {"generic", "avx2", "avx512"};

int fastnn_isa_runs(int level)
{
    if (level == FASTNN_ISA_GENERIC) return 1;
#if FASTNN_X86_VARIANTS
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (level == FASTNN_ISA_AVX2) return avx2;
    if (level == FASTNN_ISA_AVX512)
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512vl");
#endif
    return 0;
}

int fastnn_isa_best(void)
{
    int level = FASTNN_ISA_COUNT - 1;
    while (level > FASTNN_ISA_GENERIC && !fastnn_isa_runs(level)) level--;
    return level;
}

const char *fastnn_isa_name(int level)
{
    return level >= 0 && level < FASTNN_ISA_COUNT ? names[level] : NULL;
}

int fastnn_isa_from_name(const char *name)
{
    for (int level = 0; name != NULL && level < FASTNN_ISA_COUNT; level++)
        if (strcmp(name, names[level]) == 0) return level;
    return -1;
}

/* Written only from Python (under the GIL) or a C program's main thread, read
 * by kernels on any thread: an int store, seen whole. */
static volatile int current = FASTNN_ISA_GENERIC;
const volatile int *fastnn_isa_level = &current;

void fastnn_isa_set(int level) { current = level; }
