"""SGD with momentum, dampening, Nesterov momentum and weight decay (PyTorch's formulas).

    g = grad (+ weight_decay * p)            negated first when maximize
    buf = g                                  on the first step (a copy), then
    buf = momentum * buf + (1 - dampening) * g
    g = g + momentum * buf  (nesterov)   or   g = buf
    p = p - lr * g

One kernel call per param group: get_backend(array).sgd_step (the native
backend's is one threaded pass over all the group's parameters; the NumPy
reference, fastnn/backends/numpy_ref/optim.py, spells out the formulas).
"""
from ..backends import get_backend
from .._tensor import Tensor
from .optimizer import Optimizer, _check_nonneg

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False):
        _check_nonneg("learning rate", lr)
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def step(self, closure=None):
        loss = self._call_closure(closure)
        for group in self.param_groups:
            params, grads = self._params_and_grads(group)
            if not params:
                continue
            momentum = group["momentum"]
            bufs = None
            if momentum != 0:
                bufs = [self.state[p].get("momentum_buffer") for p in params]
                bufs = [None if b is None else b._data for b in bufs]
            get_backend(params[0]._data).sgd_step(
                [p._data for p in params], grads, bufs, lr=group["lr"], momentum=momentum,
                dampening=group["dampening"], weight_decay=group["weight_decay"],
                nesterov=group["nesterov"], maximize=group["maximize"])
            if bufs is not None:
                for p, b in zip(params, bufs):
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:  # created by this first step
                        state["momentum_buffer"] = Tensor._wrap(b)
        return loss
