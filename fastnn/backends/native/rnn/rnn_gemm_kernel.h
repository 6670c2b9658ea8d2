/* Recurrent-step GEMM with a weight matrix packed once per sequence.
 *
 *   C (M x N) = [C +] A (M x K) @ op(W)       op(W) = W^T (W is N x K) or W (K x N)
 *
 * An RNN multiplies the same W_hh by a new small h at every step. A general GEMM
 * repacks W each call (for B = 32, H = 256 the packing costs as much as the
 * multiply); here W is packed once into NR-wide column panels and every step
 * streams the panels through a register-tiled kernel. float32 only; the kernel
 * is built per ISA level of fastnn's CPU dispatch (common/isa.h), each with its
 * own panel width, so every function takes the level (fastnn_isa(), read once
 * per sequence) and a packed W must be used with the level it was packed for.
 * fastnn_rgemm_available() is 0 where no vector kernel was compiled: the
 * caller then uses fastnn_sgemm.
 *
 * Why not the shared GEMM with W packed once: its 12-row AVX-512 tile and
 * packed A suit large M; here M is the batch (often <= 32), and reading A's
 * rows in place with an 8-row tile ran 1.1-2x faster at M = 1..32 (AMD Zen 4,
 * one thread), on top of not repacking W every step.
 *
 * Reference: the product itself is fastnn/backends/numpy_ref/gemm.py's matmul.
 */
#ifndef FASTNN_RNN_GEMM_KERNEL_H
#define FASTNN_RNN_GEMM_KERNEL_H
#include <stddef.h>
#include <string.h>

int fastnn_rgemm_available(void);
/* Floats needed to hold op(W) packed (N output columns, K inner). */
size_t fastnn_rgemm_packed_len(int isa, long N, long K);
/* Packs panels [p0, p1) of op(W) into wp (laid out for all of them): the
 * threads of a team each pack the panels they multiply. */
void fastnn_rgemm_pack(int isa, int trans_w, long N, long K, const float *w, float *wp,
                       long p0, long p1);
/* Width of one packed panel (output columns), and the product restricted to the
 * panels [p0, p1) on the calling thread: for a caller whose own OpenMP team
 * splits the output columns (the recurrent kernels' persistent team). */
long fastnn_rgemm_panel_width(int isa);
/* Rows of A one pass of the kernel covers: a product of that many rows wastes
 * no work (fewer rows repeat the last one). */
long fastnn_rgemm_tile_rows(int isa);
void fastnn_rgemm_panels(int isa, long M, long N, long K, const float *a, long lda,
                         const float *wp, float *c, long ldc, int accumulate, long p0, long p1);
/* The same for C [+]= A @ op(W) + A2 @ op(W2) (A2 M x K2, W2 packed with the same
 * N): both sums in one pass over C. */
void fastnn_rgemm_panels2(int isa, long M, long N, long K, const float *a, long lda,
                          const float *wp, long K2, const float *a2, long lda2,
                          const float *wp2, float *c, long ldc, int accumulate, long p0, long p1);
/* C (M x N) [+]= A^T @ B on the calling thread, both packed in panels of
 * fastnn_rgemm_packed_width(isa) columns (one vector; it divides the panel
 * width above): A's K x M (an RNN chunk's gate grads, K rows of M units),
 * panels a_ps floats apart; B's K x N (the chunk's rows [x_t | h_{t-1}]),
 * panels b_ps apart; panel q holds its columns' K rows, row k at k * width.
 * Partial panels are read whole (pad them). fastnn_rgemm_panel_row (below)
 * writes one row of either. */
long fastnn_rgemm_packed_width(int isa);
void fastnn_rgemm_packed(int isa, long M, long N, long K, const float *ap, long a_ps,
                         const float *bp, long b_ps, float *c, long ldc, int accumulate);

/* Row k of a panel layout: n values of src into consecutive panels of `width`
 * columns (panel q at dst + q * panel_stride, its row k at k * width). Inline,
 * with the kernels' widths as constants: the copies are a few vectors each. */
static inline void fnn_panel_copy(long width, float *d, const float *s, long w)
{
    if (w == width && width == 16) memcpy(d, s, 16 * sizeof(float));
    else if (w == width && width == 8) memcpy(d, s, 8 * sizeof(float));
    else if (w == width && width == 4) memcpy(d, s, 4 * sizeof(float));
    else memcpy(d, s, sizeof(float) * (size_t)w);
}

static inline void fastnn_rgemm_panel_row(long width, const float *src, long n, float *dst,
                                          long panel_stride, long k)
{
    float *d = dst + k * width;
    for (long j0 = 0; j0 < n; j0 += width, d += panel_stride)
        fnn_panel_copy(width, d, src + j0, n - j0 < width ? n - j0 : width);
}
#endif
