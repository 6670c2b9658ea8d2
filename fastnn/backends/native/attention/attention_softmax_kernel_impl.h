/* Body of attention_softmax_kernel.c for one precision and ISA level: included
 * through common/isa_each.h once per type, with T, FN(name) and EXP defined.
 * See attention_softmax_kernel.c for the algorithm. */
static FASTNN_TARGET void
FN(softmax)(T *s, const T *bias, long bias_batch_stride, long L, long S, T scale, int causal,
            int empty_nan, long r0, long r1)
{
    for (long r = r0; r < r1; r++) {
        long b = r / L, i = r % L;
        T *restrict row = s + r * S;
        long n = causal ? (i + 1 < S ? i + 1 : S) : S;   /* entries not masked by causality */
        /* The vector loops below run over np >= n entries, a whole number of 16-float
         * vectors where the row allows: a causal row's n is arbitrary, and a scalar
         * remainder of the exp loop cost more than the vector part (4.5x slower
         * passes than without causality on 64-wide rows). The np - n extras are -inf. */
        long np = causal ? ((n + 15) & ~15L) : S;
        np = np < S ? np : S;
        if (bias != 0) {
            const T *restrict br = bias + b * bias_batch_stride + i * S;
            #pragma omp simd
            for (long j = 0; j < n; j++)
                row[j] = scale * row[j] + br[j];
        } else {
            #pragma omp simd
            for (long j = 0; j < n; j++)
                row[j] = scale * row[j];
        }
        for (long j = n; j < np; j++)
            row[j] = -INFINITY;
        T m = -INFINITY;
        #pragma omp simd reduction(max:m)
        for (long j = 0; j < np; j++)
            m = row[j] > m ? row[j] : m;
        /* A NaN fails every compare, so the max skips it: a row of only NaN and -inf
         * ends here, any other row with a NaN shows it in the sum below. */
        if (m == -INFINITY) {   /* nothing to attend to (or only NaN) */
            int nan = 0;
            for (long j = 0; j < n; j++)
                nan |= row[j] != row[j];
            T fill = (nan || empty_nan) ? (T)NAN : (T)0;
            for (long j = 0; j < S; j++)
                row[j] = fill;
            continue;
        }
        T tot = 0;
        #pragma omp simd reduction(+:tot)
        for (long j = 0; j < np; j++) {
            T e = EXP(row[j] - m);
            row[j] = e;
            tot += e;
        }
        if (tot != tot) {       /* a NaN score: the whole row is NaN, as softmax gives */
            for (long j = 0; j < S; j++)
                row[j] = (T)NAN;
            continue;
        }
        T f = (T)1 / tot;
        #pragma omp simd
        for (long j = 0; j < np; j++)
            row[j] *= f;
        for (long j = np; j < S; j++)
            row[j] = 0;
    }
}

static FASTNN_TARGET void
FN(softmax_grad)(T *dp, const T *p, long S, long r0, long r1)
{
    for (long r = r0; r < r1; r++) {
        T *restrict d = dp + r * S;
        const T *restrict pr = p + r * S;
        T dot = 0;
        #pragma omp simd reduction(+:dot)
        for (long j = 0; j < S; j++)
            dot += d[j] * pr[j];
        #pragma omp simd
        for (long j = 0; j < S; j++)
            d[j] = pr[j] * (d[j] - dot);
    }
}
