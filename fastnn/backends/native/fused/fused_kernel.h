/* Fused inference kernels for small inputs (fastnn.compile's native plan):
 * conv + bias [+ ReLU] [+ max pool, window = stride] in one pass with no
 * im2col matrix, Linear + bias [+ ReLU] vectorised over the outputs, and the
 * copy of an NCHW input into the zero-padded channels-last buffer the conv
 * reads. What each computes is documented at its declaration; the algorithm
 * is in fused_isa_body.h, the reference in fastnn/backends/numpy_ref/conv.py,
 * pool.py and gemm.py (linear_forward) (tests/compiler/test_fused.py holds them to it).
 *
 * Every pointer, stride and bound below was checked by _fused.pyx when the
 * program was built; the kernels trust them.
 */
#ifndef FASTNN_FUSED_KERNEL_H
#define FASTNN_FUSED_KERNEL_H

/* Packed operands put their output channels in rows of a multiple of this
 * many elements, so one layout serves every ISA level's vector width. */
#define FNN_FUSED_ALIGN 16

/* x: n samples of [hp][wp][c] (channels last, zero border already in place);
 * w: [kh][kw][c][coutp] (coutp a multiple of FNN_FUSED_ALIGN, padded with 0);
 * b: [coutp]. Output position (s, oy, ox), oy < oh, ox < ow, is the maximum
 * over its qh x qw window (1 x 1: no pooling) of the convolution at pixels
 * (oy*qh + dy, ox*qw + dx), plus bias, then max(., 0) when relu; channel co
 * goes to y[s*ys_n + oy*ys_h + ox*ys_w + co*ys_c]. */
typedef struct {
    long n, c, hp, wp;
    long kh, kw, sh, sw, dh, dw;
    long cout, coutp;
    long qh, qw;
    long oh, ow;
    long ys_n, ys_h, ys_w, ys_c;
    int relu;
} fnn_fconv;

/* y[r*ys + o] = b[o] + sum_i x[r*xs + i] * w[i*outp + o] (then max(., 0)
 * when relu), r < rows, o < out; w: [in][outp], outp a multiple of
 * FNN_FUSED_ALIGN. */
typedef struct {
    long rows, in, out, outp, xs, ys;
    int relu;
} fnn_flin;

/* x: [n][c][h][w] C-contiguous -> xp[s][ph + i][pw + j][ci] of a
 * [n][hp][wp][c] buffer whose border the call leaves alone. */
typedef struct {
    long n, c, h, w, ph, pw, hp, wp;
} fnn_fpack;

/* Positions [p0, p1) of the n * oh * ow, rows [r0, r1), at the ISA level isa. */
void fnn_fconv_f32(int isa, const fnn_fconv *g, const float *x, const float *w, const float *b,
                   float *y, long p0, long p1);
void fnn_fconv_f64(int isa, const fnn_fconv *g, const double *x, const double *w,
                   const double *b, double *y, long p0, long p1);
void fnn_flin_f32(int isa, const fnn_flin *g, const float *x, const float *w, const float *b,
                  float *y, long r0, long r1);
void fnn_flin_f64(int isa, const fnn_flin *g, const double *x, const double *w,
                  const double *b, double *y, long r0, long r1);
void fnn_fpack_f32(const fnn_fpack *g, const float *x, float *xp);
void fnn_fpack_f64(const fnn_fpack *g, const double *x, double *xp);

#endif
