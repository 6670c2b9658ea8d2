/* The GEMM ladder (and a short convolution ladder on top of it, at the end).
 *
 * C = A @ B for row-major float32 matrices (A is m x k, B is
 * k x n, C is m x n, all contiguous), five times, each rung one idea more than
 * the one below it:
 *
 *   1  rung1_naive.c       the formula as three loops (i, j, p)
 *   2  rung2_loop_order.c  loop order i, p, j: the inner loop runs along rows,
 *                          so the compiler vectorises it
 *   3  rung3_blocked.c     blocking: work on tiles that stay in L1/L2
 *   4  rung4_packed.c      packing + a register-tiled micro-kernel with
 *                          explicit vectors, compiled per ISA level
 *   5  rung5_threads.c     rung 4 on every core (OpenMP)
 *
 * Rung 5 is the shape of fastnn's own GEMM (gemm/gemm_kernel.c), which adds
 * transposes, alpha/beta, float64 and buffer reuse. docs/gemm.md walks the
 * ladder with each rung's GFLOP/s; `python -m fastnn.bench --ladder` measures
 * them on your machine. Reference: fastnn/backends/numpy_ref/gemm.py (matmul).
 *
 * The Python wrapper (ladder/__init__.py) has checked the shapes and made every
 * operand contiguous; m, n, k are all >= 1.
 */
#ifndef FASTNN_LADDER_H
#define FASTNN_LADDER_H

/* Rows of rung 4's register tile, the same at every ISA level (its width,
 * two vectors, is what changes); rung 5 splits C in slabs of whole tiles. */
#define LADDER_MR 6

void ladder_naive(long m, long n, long k, const float *a, const float *b, float *c);
void ladder_loop_order(long m, long n, long k, const float *a, const float *b, float *c);
void ladder_blocked(long m, long n, long k, const float *a, const float *b, float *c);
/* Rungs 4 and 5 allocate packing buffers: 0 on success, -1 when out of memory.
 * isa is the level to run (common/isa.h), read once by the caller. */
int ladder_packed(int isa, long m, long n, long k, const float *a, const float *b, float *c);
int ladder_threads(int isa, long m, long n, long k, const float *a, const float *b, float *c,
                   int nthreads);
/* The width of rung 4's register tile at a level (16 floats with AVX2). */
int ladder_tile_width(int isa);

/* The convolution ladder: y = conv(x, w), "valid" (no padding), stride 1,
 * x of shape (n, c, h, w), weights (o, c, kh, kw), y (n, o, h-kh+1, w-kw+1),
 * all contiguous float32:
 *   1  conv1_direct.c    the formula as loops
 *   2  conv2_im2col.c    im2col + GEMM (rung 4 above)
 *   3  conv3_winograd.c  Winograd F(2x2, 3x3): 16 GEMMs, 2.25x fewer products
 * One thread each: the idea of each rung is its algorithm. */
void ladder_conv_direct(long n, long c, long h, long w, long o, long kh, long kw,
                        const float *x, const float *wt, float *y);
/* Rungs 2 and 3 take a scratch buffer `work` of the size their _work function
 * gives, in floats (the caller keeps it between calls). */
long ladder_conv_im2col_work(long c, long h, long w, long kh, long kw);
int ladder_conv_im2col(int isa, long n, long c, long h, long w, long o, long kh, long kw,
                       const float *x, const float *wt, float *y, float *work);
long ladder_conv_winograd_work(long n, long c, long h, long w, long o);
int ladder_conv_winograd(int isa, long n, long c, long h, long w, long o,  /* 3x3 only */
                         const float *x, const float *wt, float *y, float *work);

#endif
