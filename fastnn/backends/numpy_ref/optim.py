"""Optimizer updates, reference implementation (NumPy): one param group per call.

Each function updates every parameter of a group in place, with PyTorch's
formulas in PyTorch's operation order (so float32 trajectories match
torch.optim's to rounding):

    sgd_step      g = grad (+ wd p);  buf = g on the first step, then
                  buf = momentum buf + (1 - dampening) g;  g = g + momentum buf
                  (Nesterov) or g = buf;  p = p - lr g
    adam_step     g = grad (+ wd p);  m = lerp(m, g, 1 - beta1);
                  v = beta2 v + (1 - beta2) g g;  v_max = max(v_max, v) (AMSGrad);
                  p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    adamw_step    adam_step with decoupled weight decay: p = p (1 - lr wd) first
    rmsprop_step  g = grad (+ wd p);  v = alpha v + (1 - alpha) g g;
                  centered: a = lerp(a, g, 1 - alpha), avg = sqrt(v - a a) + eps,
                  else avg = sqrt(v) + eps;  momentum: buf = momentum buf + g / avg,
                  p = p - lr buf;  else p = p - lr g / avg
    adagrad_step  g = grad (+ wd p);  s = s + g g;
                  p = p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)

``grad`` is negated first when ``maximize``. ``steps`` holds each parameter's
step number t for this update (counted from 1; parameters of one group may
differ when some missed a gradient). A scalar meets a float32 array as NumPy
casts it (to float32), as PyTorch does. These functions also run on CuPy
arrays (the NumPy calls dispatch to CuPy), which is what fastnn's cupy backend
uses. The native twin, with the same names and signatures, is
fastnn/backends/native/optim/__init__.py (one threaded pass per group); the
argument checks are fastnn/backends/_validate/optim.py.
"""
import numpy as np

from .._validate.optim import check_group

__all__ = ["sgd_step", "adam_step", "adamw_step", "rmsprop_step", "adagrad_step"]


# ----------------------------------------------------------------------------
# per-parameter scalars (the native backend uses these too, for the same doubles)

def adam_step_scalars(t, lr, beta1, beta2):
    """(step_size, sqrt of the second bias correction) of Adam's step t, as PyTorch has them."""
    return lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5


def adagrad_clr(t, lr, lr_decay):
    """Adagrad's decayed learning rate at step t."""
    return lr / (1 + (t - 1) * lr_decay)


def _lerp_(start, end, weight, tmp=None):
    """start += weight * (end - start) in place, in the form PyTorch's lerp uses for weight < 0.5.

    ``tmp``, an array like ``start``, avoids allocating a temporary.
    """
    tmp = np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        start += tmp
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=start)


def _grad(g, p, weight_decay, maximize):
    """The gradient the update uses: negated to maximize, plus L2 weight decay."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p
    return g


# ----------------------------------------------------------------------------
# the updates

def sgd_step(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay,
             nesterov, maximize):
    """SGD; a None entry of ``momentum_buffers`` (first step) is replaced by the new buffer."""
    check_group("sgd_step", params, grads=grads, momentum_buffers=momentum_buffers)
    for i, (p, g) in enumerate(zip(params, grads)):
        g = _grad(g, p, weight_decay, maximize)
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = g.copy()
            else:
                buf *= momentum
                buf += (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p -= lr * g


def _adam(fname, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, beta2,
          eps, weight_decay, amsgrad, maximize, decoupled):
    check_group(fname, params, grads=grads, exp_avgs=exp_avgs, exp_avg_sqs=exp_avg_sqs,
                max_exp_avg_sqs=max_exp_avg_sqs if amsgrad else None, steps=steps)
    for i, p in enumerate(params):
        g = grads[i]
        if maximize:
            g = -g
        if weight_decay != 0:
            if decoupled:
                p *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * p
        m, v = exp_avgs[i], exp_avg_sqs[i]
        tmp = np.empty_like(m)  # one scratch array instead of a temporary per operation
        _lerp_(m, g, 1 - beta1, tmp)
        v *= beta2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v += tmp
        step_size, bc2_sqrt = adam_step_scalars(steps[i], lr, beta1, beta2)
        if amsgrad:
            vmax = max_exp_avg_sqs[i]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        denom = np.sqrt(v, out=tmp)
        denom /= bc2_sqrt
        denom += eps
        np.divide(m, denom, out=denom)
        denom *= step_size
        p -= denom


def adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *, lr, beta1, beta2,
              eps, weight_decay, amsgrad, maximize):
    """Adam (AMSGrad when ``amsgrad``; ``max_exp_avg_sqs`` may be None otherwise)."""
    _adam("adam_step", params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1,
          beta2, eps, weight_decay, amsgrad, maximize, decoupled=False)


def adamw_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *, lr, beta1, beta2,
               eps, weight_decay, amsgrad, maximize):
    """AdamW: Adam with the weight decay applied to the parameters directly."""
    _adam("adamw_step", params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1,
          beta2, eps, weight_decay, amsgrad, maximize, decoupled=True)


def rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr, alpha, eps,
                 weight_decay, momentum, centered, maximize):
    """RMSprop; ``grad_avgs`` is used when ``centered``, ``momentum_buffers`` when momentum > 0."""
    check_group("rmsprop_step", params, grads=grads, square_avgs=square_avgs,
                grad_avgs=grad_avgs if centered else None,
                momentum_buffers=momentum_buffers if momentum > 0 else None)
    for i, p in enumerate(params):
        g = _grad(grads[i], p, weight_decay, maximize)
        v = square_avgs[i]
        avg = np.empty_like(v)  # one scratch array reused for every temporary
        v *= alpha
        np.multiply(g, g, out=avg)
        avg *= 1 - alpha
        v += avg
        if centered:
            a = grad_avgs[i]
            _lerp_(a, g, 1 - alpha, avg)
            np.multiply(a, a, out=avg)
            np.subtract(v, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(v, out=avg)
        avg += eps
        np.divide(g, avg, out=avg)
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += avg
            avg = np.multiply(buf, lr, out=avg)
        else:
            avg *= lr
        p -= avg


def adagrad_step(params, grads, state_sums, steps, *, lr, lr_decay, weight_decay, eps, maximize):
    """Adagrad; ``state_sums`` start at the optimizer's initial_accumulator_value."""
    check_group("adagrad_step", params, grads=grads, state_sums=state_sums, steps=steps)
    for i, p in enumerate(params):
        g = _grad(grads[i], p, weight_decay, maximize)
        clr = adagrad_clr(steps[i], lr, lr_decay)
        s = state_sums[i]
        tmp = np.multiply(g, g)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        p -= tmp
