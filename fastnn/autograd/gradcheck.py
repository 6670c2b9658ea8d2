"""gradcheck: compare a function's autograd gradients with finite differences.

Same signature and meaning as torch.autograd.gradcheck: ``inputs`` are float64
Tensors (those with requires_grad are checked); returns True or raises
GradcheckError. The check projects the outputs on random directions v and
compares v^T J from backward() with central differences of sum(f(x) * v)
(fastnn.testing.numerical_grads), a few directions per call.
"""
import warnings

import numpy as np

from . import grad_mode
from ..testing import numerical_grads


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              n_directions=2, seed=0):
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in wrt:
        if inputs[i].dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the finite "
                          "differences will be imprecise", stacklevel=2)
    raw = [t._data.copy() if isinstance(t, Tensor) else t for t in inputs]

    def f_arrays(*arrays):
        with grad_mode.no_grad():
            args = [Tensor._wrap(a) if isinstance(inputs[k], Tensor) else a
                    for k, a in enumerate(arrays)]
            outs = _as_tuple(func(*args))
        return tuple(o._data for o in outs if isinstance(o, Tensor))

    rng = np.random.default_rng(seed)
    saved_grads = [inputs[i].grad for i in wrt]
    try:
        for _ in range(n_directions):
            with grad_mode.enable_grad():
                outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]
            vs = [rng.standard_normal(o.shape).astype(o.dtype) if o.dtype.kind == "f" else None
                  for o in outs]
            for i in wrt:
                inputs[i].grad = None
            for o, v in zip(outs, vs):
                if v is not None and o.requires_grad:
                    o.backward(v)
            analytic = [inputs[i].grad._data if inputs[i].grad is not None
                        else np.zeros_like(inputs[i]._data) for i in wrt]
            numeric = numerical_grads(f_arrays, raw, tuple(vs), eps=eps, wrt=wrt)
            for k, i in enumerate(wrt):
                a, n = analytic[k], numeric[i]
                if not np.allclose(a, n, rtol=rtol, atol=atol):
                    if not raise_exception:
                        return False
                    err = np.abs(a - n).max()
                    raise GradcheckError(
                        f"Jacobian mismatch for output 0 with respect to input {i}: max abs "
                        f"difference {err:.3g}\nnumerical:\n{n}\nanalytical:\n{a}")
    finally:
        for i, g in zip(wrt, saved_grads):
            inputs[i].grad = g
    return True
