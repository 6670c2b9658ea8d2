/* Fused optimizer updates (SGD, Adam/AdamW, RMSprop, Adagrad), float32 / float64.
 * See optim_kernel.c. Reference: fastnn/backends/numpy_ref/optim.py. */
#ifndef FASTNN_OPTIM_KERNEL_H
#define FASTNN_OPTIM_KERNEL_H
#include <stdint.h>

/* How weight decay enters: not at all, as L2 (g = g + wd * p) or decoupled
 * (AdamW: p = p * (1 - lr * wd) before the update). */
#define FNN_WD_NONE 0
#define FNN_WD_L2 1
#define FNN_WD_DECOUPLED 2

/* SGD's momentum: none, heavy ball (g = buf) or Nesterov (g = g + momentum * buf). */
#define FNN_MOM_NONE 0
#define FNN_MOM_HEAVY 1
#define FNN_MOM_NESTEROV 2

/* The options of one param group, as doubles; each kernel converts the ones
 * it reads to its element type once, as NumPy converts a Python float that
 * meets a float32 array. Derived values (1 - beta2, 1 - lr * wd, ...) are
 * computed in double by the caller, in the reference's order. */
typedef struct {
    double sign;          /* -1 to maximize (g * -1 is exactly -g), else 1 */
    int wd_mode;          /* FNN_WD_* */
    double weight_decay;  /* FNN_WD_L2 */
    double decay;         /* FNN_WD_DECOUPLED: 1 - lr * weight_decay */
    double lr, eps;
    /* SGD and RMSprop momentum */
    int momentum_mode;    /* FNN_MOM_* (RMSprop: NONE or HEAVY) */
    double momentum;
    double damp1;         /* SGD: 1 - dampening */
    /* lerp(x, g, w) of Adam's m (w = 1 - beta1) and centered RMSprop's grad average
     * (w = 1 - alpha): x + w (g - x) when |w| < 0.5, else g - (1 - w) (g - x) */
    int lerp_small;
    double lerp_w, lerp_wc;
    /* second moment v = keep * v + keep_c * g * g: Adam (beta2, 1 - beta2),
     * RMSprop (alpha, 1 - alpha) */
    double keep, keep_c;
    int amsgrad;          /* Adam */
    int centered;         /* RMSprop */
} fnn_optim_args;

/* One kernel updates elements [i0, i1) of one parameter. a[] holds the base
 * pointers of that parameter's arrays (all C-contiguous, same element type,
 * same size, not overlapping); per[] its own scalars:
 *   sgd      a = {p, grad, momentum_buffer}      per = {1 if first step else 0}
 *   adam     a = {p, grad, m, v, v_max}          per = {lr / (1 - beta1^t), sqrt(1 - beta2^t)}
 *   rmsprop  a = {p, grad, v, grad_avg, buffer}  per = {}
 *   adagrad  a = {p, grad, sum}                  per = {lr / (1 + (t - 1) lr_decay)}
 * Unused arrays (no momentum, no AMSGrad, ...) may be NULL. */
typedef void (*fnn_optim_kernel)(void *const *a, int64_t i0, int64_t i1,
                                 const fnn_optim_args *c, const double *per);

#define FNN_OPTIM_DECLARE(SUF)                                                                 \
void fnn_sgd_##SUF(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,           \
                   const double *per);                                                         \
void fnn_adam_##SUF(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,          \
                    const double *per);                                                        \
void fnn_rmsprop_##SUF(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,       \
                       const double *per);                                                     \
void fnn_adagrad_##SUF(void *const *a, int64_t i0, int64_t i1, const fnn_optim_args *c,       \
                       const double *per);

FNN_OPTIM_DECLARE(f32)
FNN_OPTIM_DECLARE(f64)
#undef FNN_OPTIM_DECLARE
#endif
