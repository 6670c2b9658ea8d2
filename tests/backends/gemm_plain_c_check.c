/* Built by tests/backends/test_gemm.py from gemm_kernel.c, common/isa.c and common/interrupt.c alone,
 * with and without -DFASTNN_PLAIN_C (what non-GCC compilers build): checks the GEMM
 * at every ISA level this CPU runs against a naive loop, one line per level. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "gemm/gemm_kernel.h"
#include "common/isa.h"
static int check(void) {
    int bad = 0;
    long shapes[][3] = {{1,1,1},{13,7,33},{37,300,65},{100,600,70},{5,1000,3},{400,9,33}};
    for (int s = 0; s < 6; s++) for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++) {
        long m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        double *a = malloc(m*k*8), *b = malloc(k*n*8), *c = malloc(m*n*8);
        float *af = malloc(m*k*4), *bf = malloc(k*n*4), *cf = malloc(m*n*4);
        for (long i = 0; i < m*k; i++) af[i] = a[i] = (double)rand()/RAND_MAX - 0.5;
        for (long i = 0; i < k*n; i++) bf[i] = b[i] = (double)rand()/RAND_MAX - 0.5;
        long lda = ta ? m : k, ldb = tb ? k : n;
        fastnn_dgemm(ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n, 0);
        fastnn_sgemm(ta, tb, m, n, k, 1.0f, af, lda, bf, ldb, 0.0f, cf, n, 0);
        for (long i = 0; i < m; i++) for (long j = 0; j < n; j++) {
            double r = 0; for (long p = 0; p < k; p++) r += (ta ? a[p*lda+i] : a[i*lda+p]) * (tb ? b[j*ldb+p] : b[p*ldb+j]);
            if (fabs(c[i*n+j]-r) > 1e-9 || fabs(cf[i*n+j]-r) > 1e-3) bad++;
        }
        free(a); free(b); free(c); free(af); free(bf); free(cf);
    }
    return bad;
}

int main(void) {
    int failed = 0;
    for (int level = 0; level < FASTNN_ISA_COUNT; level++) {
        if (!fastnn_isa_runs(level)) continue;
        fastnn_isa_set(level);
        int bad = check();
        printf("level %s, tile %s, bad %d\n", fastnn_isa_name(level), fastnn_gemm_tile(), bad);
        failed |= bad != 0;
    }
    return failed;
}
