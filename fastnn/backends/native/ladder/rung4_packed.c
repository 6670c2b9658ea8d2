/* Rung 4 of the GEMM ladder (ladder.h): packing and a register-tiled micro-kernel.
 *
 * Rung 3 still loads and stores C in every step of its inner loop. Here a small
 * tile of C, MR x NR (6 x 32 floats with AVX-512), stays in vector registers
 * for a whole run over k: each step loads two vectors of B, broadcasts MR
 * numbers of A and does 2*MR fused multiply-adds, touching no memory for C.
 * With 12 independent accumulators there are enough multiply-adds in flight
 * to hide their latency (4 cycles, 2 per cycle on current x86).
 *
 * The micro-kernel wants A and B in the order it reads them, so the blocks of
 * rung 3 are first copied ("packed") into contiguous panels: A in MR-row
 * panels, B in NR-column panels, both k-major and zero-padded to whole tiles,
 * so the kernel's loads are sequential and it never tests an edge.
 *
 *   for jc in n, NC columns at a time
 *     for pc in k, KC deep:    pack B[pc:pc+KC, jc:jc+NC]: 256 x 512 floats = 512 KiB, in L2
 *       for ic in m, MC rows:  pack A[ic:ic+MC, pc:pc+KC]
 *         for each A panel (KC x MR = 6 KiB, stays in L1)
 *           for each B panel (KC x NR, streams from L2): the micro-kernel
 *
 * Copying is cheap next to the product: A is packed once per NC columns of
 * C and B once in all, 1/NC + 1/m copies per multiply-add. The vector width differs per CPU, so the code
 * is compiled once per ISA level of fastnn's dispatch (common/isa.h) with GCC
 * vector extensions and the level's target attribute (rung4_packed_body.h),
 * and the caller picks the level at run time: no -march=native. Without GCC
 * extensions the generic level is plain C with a 6 x 2 scalar tile.
 */
#include <stdlib.h>
#include <string.h>

#include "ladder/ladder.h"
#include "common/isa.h"

#define MR LADDER_MR
#define KC 256
#define MC 144      /* whole MR-row panels; 144 KiB of packed A */
#define NC 512      /* a multiple of every level's NR */

/* Floats per vector at each level: 16-byte SSE2/NEON, 32-byte AVX2, 64-byte AVX-512. */
#if FASTNN_HAVE_VECTORS
#define LADDER_LANES_generic 4
#else
#define LADDER_LANES_generic 1
#endif
#define LADDER_LANES_avx2 8
#define LADDER_LANES_avx512 16

static long min_l(long x, long y) { return x < y ? x : y; }

#define FASTNN_ISA_BODY "ladder/rung4_packed_body.h"
#include "common/isa_each.h"

int ladder_packed(int isa, long m, long n, long k, const float *a, const float *b, float *c)
{
    /* One allocation for both blocks, 64-byte aligned for the vector loads. */
    void *raw = malloc((size_t)(MC * KC + KC * NC) * sizeof(float) + 64);
    if (raw == NULL) return -1;
    float *abuf = (float *)((char *)raw + ((64 - ((size_t)raw & 63)) & 63));
    float *bbuf = abuf + MC * KC;
    FASTNN_ISA_CALL(isa, ladder_packed_run, (m, n, k, a, b, c, abuf, bbuf));
    free(raw);
    return 0;
}

int ladder_tile_width(int isa) { return FASTNN_ISA_CALL(isa, ladder_tile_nr, ()); }
