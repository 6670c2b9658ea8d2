/* Built by tests/backends/test_ladder.py from the ladder's C files and
 * common/isa.c alone, with and without -DFASTNN_PLAIN_C (what compilers without
 * GCC extensions build): every rung, at every ISA level this CPU runs, against
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
