/* Built by tests/backends/test_ladder.py from the ladder's C files and
 * common/isa.c alone, with and without -DFASTNN_PLAIN_C (what compilers without
 * GCC extensions build): every GEMM and convolution rung, at every ISA level this CPU runs, against
 * a double-precision loop; one line per level. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "ladder/ladder.h"
#include "common/isa.h"

static int check(int isa)
{
    long shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {13, 300, 530}, {150, 257, 70}};
    int bad = 0;
    for (int s = 0; s < 4; s++) {
        long m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *c = malloc(m * n * 4);
        for (long i = 0; i < m * k; i++) a[i] = (float)rand() / RAND_MAX - 0.5f;
        for (long i = 0; i < k * n; i++) b[i] = (float)rand() / RAND_MAX - 0.5f;
        for (int rung = 1; rung <= 5; rung++) {
            for (long i = 0; i < m * n; i++) c[i] = 1e30f;   /* every rung must overwrite C */
            if (rung == 1) ladder_naive(m, n, k, a, b, c);
            if (rung == 2) ladder_loop_order(m, n, k, a, b, c);
            if (rung == 3) ladder_blocked(m, n, k, a, b, c);
            if (rung == 4 && ladder_packed(isa, m, n, k, a, b, c)) bad++;
            if (rung == 5 && ladder_threads(isa, m, n, k, a, b, c, 3)) bad++;
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++) {
                    double r = 0;
                    for (long p = 0; p < k; p++) r += (double)a[i * k + p] * b[p * n + j];
                    if (fabs(c[i * n + j] - r) > 1e-3) bad++;
                }
        }
        free(a); free(b); free(c);
    }
    /* the convolution rungs against a double loop: one odd-sized layer */
    long n = 2, ch = 5, h = 9, w = 8, o = 7, oh = h - 2, ow = w - 2;
    float *x = malloc(n * ch * h * w * 4), *wt = malloc(o * ch * 9 * 4), *y = malloc(n * o * oh * ow * 4);
    long nwork = ladder_conv_winograd_work(n, ch, h, w, o), nw2 = ladder_conv_im2col_work(ch, h, w, 3, 3);
    float *work = malloc((nwork > nw2 ? nwork : nw2) * 4);
    for (long i = 0; i < n * ch * h * w; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
    for (long i = 0; i < o * ch * 9; i++) wt[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int rung = 1; rung <= 3; rung++) {
        for (long i = 0; i < n * o * oh * ow; i++) y[i] = 1e30f;
        if (rung == 1) ladder_conv_direct(n, ch, h, w, o, 3, 3, x, wt, y);
        if (rung == 2 && ladder_conv_im2col(isa, n, ch, h, w, o, 3, 3, x, wt, y, work)) bad++;
        if (rung == 3 && ladder_conv_winograd(isa, n, ch, h, w, o, x, wt, y, work)) bad++;
        for (long b = 0; b < n; b++) for (long f = 0; f < o; f++)
            for (long i = 0; i < oh; i++) for (long j = 0; j < ow; j++) {
                double r = 0;
                for (long c = 0; c < ch; c++) for (long ky = 0; ky < 3; ky++) for (long kx = 0; kx < 3; kx++)
                    r += (double)x[((b * ch + c) * h + i + ky) * w + j + kx] * wt[((f * ch + c) * 3 + ky) * 3 + kx];
                if (fabs(y[((b * o + f) * oh + i) * ow + j] - r) > 1e-4) bad++;
            }
    }
    free(x); free(wt); free(y); free(work);
    return bad;
}

int main(void)
{
    int failed = 0;
    for (int isa = 0; isa < FASTNN_ISA_COUNT; isa++) {
        if (!fastnn_isa_runs(isa)) continue;
        fastnn_isa_set(isa);
        int bad = check(isa);
        printf("level %s, tile %dx%d, bad %d\n", fastnn_isa_name(isa), LADDER_MR, ladder_tile_width(isa), bad);
        failed |= bad != 0;
    }
    return failed;
}
