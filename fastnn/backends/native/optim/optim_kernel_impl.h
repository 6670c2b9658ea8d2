/* Body of optim_kernel.c for one precision and ISA level: included through
 * common/isa_each.h once per type with T (float or double), FN(name) (this
 * build's name for a function) and SQRT defined.
 * Each line of a loop body is one NumPy operation of the reference
 * (fastnn/backends/numpy_ref/optim.py), in its order; see optim_kernel.c. */

/* ------------------------------------------------------------------ SGD */

FASTNN_INLINE void FN(sgd_body)(T *restrict p, const T *restrict gr, T *restrict buf, int64_t n,
                                const fnn_optim_args *c, const int L2, const int MOM,
                                const int FIRST)
{
    const T sgn = (T)c->sign, wd = (T)c->weight_decay, lr = (T)c->lr;
    const T mom = (T)c->momentum, damp1 = (T)c->damp1;
    for (int64_t i = 0; i < n; i++) {
        T g = gr[i] * sgn;
        if (L2)
            g = g + wd * p[i];
        if (MOM != FNN_MOM_NONE) {
            /* the first step copies g into the new buffer */
            T b = FIRST ? g : buf[i] * mom + damp1 * g;
            buf[i] = b;
            g = MOM == FNN_MOM_NESTEROV ? g + mom * b : b;
        }
        p[i] = p[i] - lr * g;
    }
}

#define SGD_CASE(L2, MOM, FIRST) FN(sgd_body)(p, g, buf, n, c, L2, MOM, FIRST)

static FASTNN_TARGET void
FN(sgd)(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c, const double *per)
{
    T *p = (T *)a[0] + i0;
    const T *g = (const T *)a[1] + i0;
    T *buf = c->momentum_mode != FNN_MOM_NONE ? (T *)a[2] + i0 : NULL;
    int64_t n = i1 - i0;
    int l2 = c->wd_mode == FNN_WD_L2, first = per[0] != 0;
    switch (c->momentum_mode) {
    case FNN_MOM_NONE:
        if (l2) SGD_CASE(1, FNN_MOM_NONE, 0); else SGD_CASE(0, FNN_MOM_NONE, 0);
        break;
    case FNN_MOM_HEAVY:
        if (first) {
            if (l2) SGD_CASE(1, FNN_MOM_HEAVY, 1); else SGD_CASE(0, FNN_MOM_HEAVY, 1);
        } else {
            if (l2) SGD_CASE(1, FNN_MOM_HEAVY, 0); else SGD_CASE(0, FNN_MOM_HEAVY, 0);
        }
        break;
    default:
        if (first) {
            if (l2) SGD_CASE(1, FNN_MOM_NESTEROV, 1); else SGD_CASE(0, FNN_MOM_NESTEROV, 1);
        } else {
            if (l2) SGD_CASE(1, FNN_MOM_NESTEROV, 0); else SGD_CASE(0, FNN_MOM_NESTEROV, 0);
        }
    }
}
#undef SGD_CASE

/* ------------------------------------------------------------------ Adam, AdamW */

FASTNN_INLINE void FN(adam_body)(T *restrict p, const T *restrict gr, T *restrict m,
                                 T *restrict v, T *restrict vmax, int64_t n,
                                 const fnn_optim_args *c, T step_size, T bc2_sqrt,
                                 const int WD, const int AMS)
{
    const T sgn = (T)c->sign, wd = (T)c->weight_decay, decay = (T)c->decay;
    const T w = (T)c->lerp_w, wc = (T)c->lerp_wc, beta2 = (T)c->keep, c2 = (T)c->keep_c;
    const T eps = (T)c->eps;
    const int small = c->lerp_small;
    for (int64_t i = 0; i < n; i++) {
        T g = gr[i] * sgn;
        T pi = p[i];
        if (WD == FNN_WD_L2)
            g = g + wd * pi;
        if (WD == FNN_WD_DECOUPLED)
            pi = pi * decay;
        T mi = m[i];
        T d = g - mi;
        mi = small ? mi + d * w : g - d * wc;           /* m = lerp(m, g, 1 - beta1) */
        T vi = v[i] * beta2 + (g * g) * c2;
        m[i] = mi;
        v[i] = vi;
        if (AMS) {
            /* np.maximum: a NaN in either operand wins */
            T mx = vmax[i];
            mx = (mx >= vi || mx != mx) ? mx : vi;
            vmax[i] = mx;
            vi = mx;
        }
        T den = SQRT(vi) / bc2_sqrt + eps;
        p[i] = pi - (mi / den) * step_size;
    }
}

#define ADAM_CASE(WD, AMS) FN(adam_body)(p, g, m, v, vmax, n, c, step_size, bc2_sqrt, WD, AMS)

static FASTNN_TARGET void
FN(adam)(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c, const double *per)
{
    T *p = (T *)a[0] + i0, *m = (T *)a[2] + i0, *v = (T *)a[3] + i0;
    const T *g = (const T *)a[1] + i0;
    T *vmax = c->amsgrad ? (T *)a[4] + i0 : NULL;
    int64_t n = i1 - i0;
    const T step_size = (T)per[0], bc2_sqrt = (T)per[1];
    if (c->amsgrad) {
        switch (c->wd_mode) {
        case FNN_WD_L2: ADAM_CASE(FNN_WD_L2, 1); break;
        case FNN_WD_DECOUPLED: ADAM_CASE(FNN_WD_DECOUPLED, 1); break;
        default: ADAM_CASE(FNN_WD_NONE, 1);
        }
    } else {
        switch (c->wd_mode) {
        case FNN_WD_L2: ADAM_CASE(FNN_WD_L2, 0); break;
        case FNN_WD_DECOUPLED: ADAM_CASE(FNN_WD_DECOUPLED, 0); break;
        default: ADAM_CASE(FNN_WD_NONE, 0);
        }
    }
}
#undef ADAM_CASE

/* ------------------------------------------------------------------ RMSprop */

FASTNN_INLINE void FN(rmsprop_body)(T *restrict p, const T *restrict gr, T *restrict v,
                                    T *restrict ga, T *restrict buf, int64_t n,
                                    const fnn_optim_args *c, const int L2, const int CENT,
                                    const int MOM)
{
    const T sgn = (T)c->sign, wd = (T)c->weight_decay, lr = (T)c->lr, eps = (T)c->eps;
    const T alpha = (T)c->keep, c1 = (T)c->keep_c, w = (T)c->lerp_w, wc = (T)c->lerp_wc;
    const T mom = (T)c->momentum;
    const int small = c->lerp_small;
    for (int64_t i = 0; i < n; i++) {
        T g = gr[i] * sgn;
        if (L2)
            g = g + wd * p[i];
        T vi = v[i] * alpha + (g * g) * c1;
        v[i] = vi;
        T avg;
        if (CENT) {
            T ai = ga[i];
            T d = g - ai;
            ai = small ? ai + d * w : g - d * wc;       /* a = lerp(a, g, 1 - alpha) */
            ga[i] = ai;
            avg = SQRT(vi - ai * ai);
        } else {
            avg = SQRT(vi);
        }
        avg = avg + eps;
        avg = g / avg;
        if (MOM) {
            T b = buf[i] * mom + avg;
            buf[i] = b;
            avg = b * lr;
        } else {
            avg = avg * lr;
        }
        p[i] = p[i] - avg;
    }
}

#define RMS_CASE(L2, CENT, MOM) FN(rmsprop_body)(p, g, v, ga, buf, n, c, L2, CENT, MOM)

static FASTNN_TARGET void
FN(rmsprop)(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
{
    (void)per;
    T *p = (T *)a[0] + i0, *v = (T *)a[2] + i0;
    const T *g = (const T *)a[1] + i0;
    T *ga = c->centered ? (T *)a[3] + i0 : NULL;
    T *buf = c->momentum_mode != FNN_MOM_NONE ? (T *)a[4] + i0 : NULL;
    int64_t n = i1 - i0;
    int key = (c->wd_mode == FNN_WD_L2) | (c->centered != 0) << 1
              | (c->momentum_mode != FNN_MOM_NONE) << 2;
    switch (key) {
    case 0: RMS_CASE(0, 0, 0); break;
    case 1: RMS_CASE(1, 0, 0); break;
    case 2: RMS_CASE(0, 1, 0); break;
    case 3: RMS_CASE(1, 1, 0); break;
    case 4: RMS_CASE(0, 0, 1); break;
    case 5: RMS_CASE(1, 0, 1); break;
    case 6: RMS_CASE(0, 1, 1); break;
    default: RMS_CASE(1, 1, 1);
    }
}
#undef RMS_CASE

/* ------------------------------------------------------------------ Adagrad */

FASTNN_INLINE void FN(adagrad_body)(T *restrict p, const T *restrict gr, T *restrict s, int64_t n,
                                    const fnn_optim_args *c, T clr, const int L2)
{
    const T sgn = (T)c->sign, wd = (T)c->weight_decay, eps = (T)c->eps;
    for (int64_t i = 0; i < n; i++) {
        T g = gr[i] * sgn;
        if (L2)
            g = g + wd * p[i];
        T si = s[i] + g * g;
        s[i] = si;
        T den = SQRT(si) + eps;
        den = g / den;
        den = den * clr;
        p[i] = p[i] - den;
    }
}

static FASTNN_TARGET void
FN(adagrad)(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,
            const double *per)
{
    T *p = (T *)a[0] + i0, *s = (T *)a[2] + i0;
    const T *g = (const T *)a[1] + i0;
    int64_t n = i1 - i0;
    const T clr = (T)per[0];
    if (c->wd_mode == FNN_WD_L2)
        FN(adagrad_body)(p, g, s, n, c, clr, 1);
    else
        FN(adagrad_body)(p, g, s, n, c, clr, 0);
}
