/* Peak arithmetic throughput, one loop per ISA level (common/isa.h): float32
 * multiply-adds on registers only, no memory traffic, so only the core's
 * floating-point units set the speed.
 *
 * One accumulator cannot do it: each `acc = acc * x + y` waits for the one
 * before (an FMA takes ~4 cycles and a core starts up to 2 per cycle), so the
 * loop keeps ACC independent accumulators, enough to fill every unit for the
 * whole latency (>= 2 x 4 = 8; 12 where 16 vector registers, 24 with
 * AVX-512's 32). With the level's target attribute GCC fuses each line into
 * one FMA instruction; the generic level (SSE2) has no FMA and measures its
 * separate multiply and add. x < 1 keeps the values bounded (they tend to
 * y / (1 - x)), away from infinities and denormals, which would slow it.
 */
#include <string.h>

#include "probe/probe.h"
#include "common/isa.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Floats per vector and accumulators at each level. */
#if FASTNN_HAVE_VECTORS
#define PROBE_LANES_generic 4
#else
#define PROBE_LANES_generic 1
#endif
#define PROBE_ACC_generic 12
#define PROBE_LANES_avx2 8
#define PROBE_ACC_avx2 12
#define PROBE_LANES_avx512 16
#define PROBE_ACC_avx512 24

/* Where every loop leaves its result, so the compiler cannot drop the loop. */
static volatile float probe_sink;

#define FASTNN_ISA_BODY "probe/fma_peak_body.h"
#include "common/isa_each.h"

double probe_fma(int isa, long iters, int nthreads)
{
    double flops = 0.0;
#pragma omp parallel num_threads(nthreads) reduction(+ : flops)
    {
        flops += FASTNN_ISA_CALL(isa, probe_fma_loop, (iters, 0.999f, 1e-3f));
    }
    (void)nthreads;
    return flops;
}
