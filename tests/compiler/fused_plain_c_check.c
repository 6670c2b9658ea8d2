/* Built by tests/compiler/test_fused.py from the fused kernels' C files and
 * common/isa.c alone, with and without -DFASTNN_PLAIN_C (what compilers
 * without GCC vector extensions build): checks conv + bias + ReLU + 2x2 max
 * pool (3 -> 20 channels, padding 1, via the padded channels-last copy) and a
 * Linear (5 rows, 33 -> 37) at every ISA level this CPU runs against naive
 * loops, one line per level. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "fused/fused_kernel.h"
#include "common/isa.h"

#define N 2
#define C 3
#define H 7
#define W 6
#define CO 20
#define COP 32
#define HP (H + 2)
#define WP (W + 2)
#define OH (H / 2)
#define OW (W / 2)

static int check(int isa)
{
    static float x[N * C * H * W], xp[N * HP * WP * C], w[CO * C * 9], wp[9 * C * COP], b[COP];
    static float y[N * CO * OH * OW];
    static float lx[5 * 33], lw[37 * 33], lwt[33 * 48], lb[48], ly[5 * 37];
    int bad = 0;
    long i;
    srand(1);
    for (i = 0; i < N * C * H * W; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
    for (i = 0; i < CO * C * 9; i++) w[i] = (float)rand() / RAND_MAX - 0.5f;
    for (i = 0; i < COP; i++) b[i] = i < CO ? (float)rand() / RAND_MAX - 0.5f : 0.0f;
    for (i = 0; i < 9 * C * COP; i++) wp[i] = 0.0f;
    for (int o = 0; o < CO; o++)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < 9; t++) wp[(t * C + c) * COP + o] = w[(o * C + c) * 9 + t];
    for (i = 0; i < N * HP * WP * C; i++) xp[i] = 0.0f;
    fnn_fpack g0 = {N, C, H, W, 1, 1, HP, WP};
    fnn_fpack_f32(&g0, x, xp);
    fnn_fconv g = {N, C, HP, WP, 3, 3, 1, 1, 1, 1, CO, COP, 2, 2, OH, OW,
                   CO * OH * OW, OW, 1, OH * OW, 1};
    fnn_fconv_f32(isa, &g, xp, wp, b, y, 0, N * OH * OW);
    for (int s = 0; s < N; s++)
        for (int o = 0; o < CO; o++)
            for (int py = 0; py < OH; py++)
                for (int px = 0; px < OW; px++) {
                    double m = -1e30;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) {
                            double acc = b[o];
                            for (int c = 0; c < C; c++)
                                for (int ky = 0; ky < 3; ky++)
                                    for (int kx = 0; kx < 3; kx++) {
                                        int iy = 2 * py + dy + ky - 1, ix = 2 * px + dx + kx - 1;
                                        if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                            acc += (double)w[(o * C + c) * 9 + ky * 3 + kx]
                                                   * x[((s * C + c) * H + iy) * W + ix];
                                    }
                            if (acc > m) m = acc;
                        }
                    if (m < 0) m = 0;
                    if (fabs(y[((s * CO + o) * OH + py) * OW + px] - m) > 1e-4) bad++;
                }
    for (i = 0; i < 5 * 33; i++) lx[i] = (float)rand() / RAND_MAX - 0.5f;
    for (i = 0; i < 37 * 33; i++) lw[i] = (float)rand() / RAND_MAX - 0.5f;
    for (i = 0; i < 48; i++) lb[i] = i < 37 ? (float)rand() / RAND_MAX - 0.5f : 0.0f;
    for (i = 0; i < 33 * 48; i++) lwt[i] = 0.0f;
    for (int o = 0; o < 37; o++)
        for (int k = 0; k < 33; k++) lwt[k * 48 + o] = lw[o * 33 + k];
    fnn_flin gl = {5, 33, 37, 48, 33, 37, 0};
    fnn_flin_f32(isa, &gl, lx, lwt, lb, ly, 0, 5);
    for (int r = 0; r < 5; r++)
        for (int o = 0; o < 37; o++) {
            double acc = lb[o];
            for (int k = 0; k < 33; k++) acc += (double)lx[r * 33 + k] * lw[o * 33 + k];
            if (fabs(ly[r * 37 + o] - acc) > 1e-4) bad++;
        }
    return bad;
}

int main(void)
{
    for (int level = 0; level < FASTNN_ISA_COUNT; level++)
        if (fastnn_isa_runs(level))
            printf("level %s, bad %d\n", fastnn_isa_name(level), check(level));
    return 0;
}
