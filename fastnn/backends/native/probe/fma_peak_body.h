/* fma_peak.c's loop for one ISA level, included through common/isa_each.h. */
#define LANES FASTNN_PASTE(PROBE_LANES, FASTNN_ISA_SUFFIX)
#define ACC FASTNN_PASTE(PROBE_ACC, FASTNN_ISA_SUFFIX)

#if LANES > 1
typedef float FASTNN_V(pvec) __attribute__((vector_size(LANES * sizeof(float))));
#else
typedef float FASTNN_V(pvec);
#endif

/* iters rounds of ACC independent multiply-adds on LANES floats each; returns
 * the floating-point operations done. */
static FASTNN_TARGET double FASTNN_V(probe_fma_loop)(long iters, float x, float y)
{
    typedef FASTNN_V(pvec) V;
    const V zero = {0};
    const V vx = zero + x, vy = zero + y;
    V acc[ACC];
    FASTNN_UNROLL
    for (int i = 0; i < ACC; i++) acc[i] = zero + (float)i;
    for (long it = 0; it < iters; it++) {
        FASTNN_UNROLL
        for (int i = 0; i < ACC; i++) acc[i] = acc[i] * vx + vy;
    }
    V total = zero;
    for (int i = 0; i < ACC; i++) total += acc[i];
    float lanes[LANES];
    memcpy(lanes, &total, sizeof lanes);
    probe_sink = lanes[0];
    return 2.0 * ACC * LANES * (double)iters;
}

#undef LANES
#undef ACC
