"""Testing helpers: finite-difference gradients for kernels and functions.

``numerical_grads(f, inputs, grad_output)`` differentiates the scalar
``sum(f(*inputs) * grad_output)`` with respect to every array in ``inputs`` by
central differences. Use float64 inputs; the helper perturbs copies in place.
"""
import numpy as np


def numerical_grads(f, inputs, grad_output, eps=1e-6, wrt=None):
    """Central-difference gradients of ``sum(f(*inputs) * grad_output)``.

    ``f`` returns one array (or a tuple, paired with a tuple ``grad_output``).
    ``wrt`` lists the indices of ``inputs`` to differentiate (default: all
    float arrays). Returns a list with None for inputs not differentiated.
    """
    inputs = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in inputs]
    if wrt is None:
        wrt = [i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    outs_g = grad_output if isinstance(grad_output, (tuple, list)) else (grad_output,)

    def objective():
        out = f(*inputs)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return sum(float(np.sum(o * g)) for o, g in zip(outs, outs_g) if g is not None)

    grads = [None] * len(inputs)
    for i in wrt:
        a = inputs[i]
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        assert np.shares_memory(flat, a), "numerical_grads needs contiguous inputs"
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            up = objective()
            flat[j] = old - eps
            down = objective()
            flat[j] = old
            gflat[j] = (up - down) / (2 * eps)
        grads[i] = g
    return grads


def assert_grads_close(analytic, numeric, rtol=1e-5, atol=1e-6, names=None):
    """Compare analytic and numerical gradients, skipping Nones, with a useful message."""
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if n is None:
            continue
        name = names[i] if names else f"input {i}"
        assert a is not None, f"{name}: analytic gradient is None"
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol, err_msg=f"gradient of {name}")
