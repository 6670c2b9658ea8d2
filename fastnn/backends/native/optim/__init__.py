"""Optimizer updates, native backend: one threaded pass over all the
parameters of a param group (_optim.pyx / optim_kernel.c), with the names,
signatures and results of fastnn/backends/numpy_ref/optim.py.

The kernel takes lists of C-contiguous, aligned, non-overlapping ndarrays of
one dtype (float32 or float64) -- what fastnn's optimizers create. For
anything else (a Fortran-ordered or strided parameter, a group mixing dtypes,
complex parameters, arrays sharing memory) it raises before writing anything,
and the group goes to the reference instead, which also raises the errors for
input that no path takes (mismatched lists or shapes). The per-parameter
scalars (Adam's bias corrections, Adagrad's decayed lr) are computed here by
the reference's own functions, so both backends use the same doubles.
"""
import numpy as np

from ...numpy_ref import optim as _ref
from ...numpy_ref.optim import adagrad_clr, adam_step_scalars
from . import _optim as _k

__all__ = ["sgd_step", "adam_step", "adamw_step", "rmsprop_step", "adagrad_step"]


def sgd_step(params, grads, momentum_buffers, *, lr, momentum, dampening, weight_decay,
             nesterov, maximize):
    """SGD; a None entry of ``momentum_buffers`` (first step) is replaced by the new buffer."""
    try:
        bufs, first = None, None
        if momentum != 0:
            # new buffers for the first step, committed only once the kernel has run
            first = [b is None for b in momentum_buffers]
            bufs = [np.empty_like(p) if f else b
                    for p, b, f in zip(params, momentum_buffers, first)]
        else:
            first = [False] * len(params)
        _k.sgd(params, grads, bufs, first, lr, momentum, dampening, weight_decay, nesterov,
               maximize)
    except (TypeError, ValueError):
        _ref.sgd_step(params, grads, momentum_buffers, lr=lr, momentum=momentum,
                      dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                      maximize=maximize)
        return
    if bufs is not None:
        momentum_buffers[:] = bufs


def _adam(fname, decoupled, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr,
          beta1, beta2, eps, weight_decay, amsgrad, maximize):
    try:
        per = []
        for t in steps:
            per.extend(adam_step_scalars(t, lr, beta1, beta2))
        _k.adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, per, lr, beta1, beta2,
                eps, weight_decay, amsgrad, decoupled, maximize)
    except (TypeError, ValueError):
        getattr(_ref, fname)(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr=lr,
                             beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                             amsgrad=amsgrad, maximize=maximize)


def adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *, lr, beta1, beta2,
              eps, weight_decay, amsgrad, maximize):
    """Adam (AMSGrad when ``amsgrad``; ``max_exp_avg_sqs`` may be None otherwise)."""
    _adam("adam_step", False, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
          lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)


def adamw_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, *, lr, beta1, beta2,
               eps, weight_decay, amsgrad, maximize):
    """AdamW: Adam with the weight decay applied to the parameters directly."""
    _adam("adamw_step", True, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps,
          lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)


def rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, *, lr, alpha, eps,
                 weight_decay, momentum, centered, maximize):
    """RMSprop; ``grad_avgs`` is used when ``centered``, ``momentum_buffers`` when momentum > 0."""
    try:
        _k.rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffers, lr, alpha, eps,
                   weight_decay, momentum, centered, maximize)
    except (TypeError, ValueError):
        _ref.rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, lr=lr,
                          alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                          centered=centered, maximize=maximize)


def adagrad_step(params, grads, state_sums, steps, *, lr, lr_decay, weight_decay, eps, maximize):
    """Adagrad; ``state_sums`` start at the optimizer's initial_accumulator_value."""
    try:
        per = [adagrad_clr(t, lr, lr_decay) for t in steps]
        _k.adagrad(params, grads, state_sums, per, weight_decay, eps, maximize)
    except (TypeError, ValueError):
        _ref.adagrad_step(params, grads, state_sums, steps, lr=lr, lr_decay=lr_decay,
                          weight_decay=weight_decay, eps=eps, maximize=maximize)
