"""Activations on NaN, +-Inf and large finite inputs: forward output and input
gradient give PyTorch's NaN/+-Inf pattern, finite values close, on both
backends (issue 13, item 6)."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

VALUES = [np.nan, np.inf, -np.inf, 1e30, -1e30, 1e10, -1e10, 100.0, -100.0, 30.0, -30.0,
          21.0, -21.0, 6.0, -1.0, 0.0, 1.0, -0.5, 3.0]
ACTIVATIONS = {
    "relu": (F.relu, TF.relu),
    "relu6": (F.relu6, TF.relu6),
    "hardtanh": (F.hardtanh, TF.hardtanh),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu),
    "elu": (F.elu, TF.elu),
    "selu": (F.selu, TF.selu),
    "softplus": (F.softplus, TF.softplus),
    "softplus_beta2": (lambda x: F.softplus(x, beta=2.0, threshold=10.0),
                       lambda x: TF.softplus(x, beta=2.0, threshold=10.0)),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "silu": (F.silu, TF.silu),
    "mish": (F.mish, TF.mish),
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: TF.gelu(x, approximate="tanh")),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
}

# Where fastnn deliberately differs, value by value: (name, what, input, dtype
# or None for both) -> fastnn's answer.
EXCEPTIONS = {
    # gelu(+Inf) = +Inf is the limit; PyTorch's erf-based kernel gives
    # Inf * 1 ... NaN in float32 (0.5 * x * (1 + erf(x / sqrt 2)) evaluated
    # with an Inf - Inf step). fastnn's answer is the more accurate one.
    ("gelu", "y", np.inf, np.float32): np.inf,
}
TOL = {np.float32: dict(rtol=1e-4, atol=1e-6), np.float64: dict(rtol=1e-8, atol=1e-12)}


def _compare(name, what, got, want, x, g, dtype):
    got, want = got.copy(), want.copy()
    for i, v in enumerate(x):
        key = (name, what, v if not np.isnan(v) else np.nan, dtype)
        hit = [e for k, e in EXCEPTIONS.items()
               if k[:2] == key[:2] and k[3] in (None, dtype)
               and (k[2] == v or (np.isnan(k[2]) and np.isnan(v)))]
        if hit:
            expect = g[i] if hit[0] == "g" else hit[0]
            np.testing.assert_equal(got[i], expect, err_msg=f"{name} {what} at {v}")
            got[i] = want[i] = 0
    for mask in (np.isnan, np.isposinf, np.isneginf):
        bad = mask(got) != mask(want)
        assert not bad.any(), (f"{name} {what}: {mask.__name__} differs at inputs "
                               f"{list(x[bad])}: fastnn {got[bad]}, torch {want[bad]}")
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], **TOL[dtype], err_msg=f"{name} {what}")


@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_nonfinite_matches_torch(name, dtype, backend):
    ours, theirs = ACTIVATIONS[name]
    # 64 values, a whole number of PyTorch's vectors: at a NaN its hardtanh,
    # relu6 and elu backward give 0 / 0 / NaN in the vectorised loop but pass
    # the gradient in the scalar tail, so only full vectors are compared
    x = np.resize(np.array(VALUES, dtype=dtype), 64)
    # an upstream gradient other than 1, so that "passes g" and "gives 1" differ
    g = np.linspace(0.5, 1.5, x.size).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(g))
    with fastnn.use_backend(backend), np.errstate(all="ignore"):
        fx = fastnn.tensor(x, requires_grad=True)
        fy = ours(fx)
        fy.backward(fastnn.tensor(g))
    assert fy._data.dtype == dtype and fx.grad._data.dtype == dtype
    _compare(name, "y", fy._data, ty.detach().numpy(), x, g, dtype)
    _compare(name, "dx", fx.grad._data, tx.grad.numpy(), x, g, dtype)


@pytest.mark.parametrize("backend", ["numpy", "native"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rnn_relu_nan_matches_torch(backend, dtype):
    # the Elman RNN's relu: a NaN pre-activation stays NaN forward (the native
    # kernel made it 0) and passes the gradient backward, as PyTorch's RNN does
    rng = np.random.default_rng(3)
    T, B, I, H = 4, 3, 5, 6
    x = rng.standard_normal((T, B, I)).astype(dtype)
    x[-1, 0, 0] = np.nan  # last step only: batch 0's final state is NaN
    x[-1, 1, 1] = np.inf
    w_ih = rng.standard_normal((H, I)).astype(dtype)
    w_hh = (0.3 * rng.standard_normal((H, H))).astype(dtype)
    b = rng.standard_normal(H).astype(dtype)
    dy = rng.standard_normal((T, B, H)).astype(dtype)
    rnn = torch.nn.RNN(I, H, nonlinearity="relu").to(torch.float64 if dtype == np.float64
                                                       else torch.float32)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor(w_ih))
        rnn.weight_hh_l0.copy_(torch.tensor(w_hh))
        rnn.bias_ih_l0.copy_(torch.tensor(b))
        rnn.bias_hh_l0.zero_()
    tx = torch.tensor(x, requires_grad=True)
    ty, _ = rnn(tx)
    ty.backward(torch.tensor(dy))
    fmod = fastnn.nn.RNN(I, H, nonlinearity="relu")
    with fastnn.use_backend(backend), np.errstate(all="ignore"):
        for name, val in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh), ("bias_ih_l0", b),
                          ("bias_hh_l0", np.zeros_like(b))):
            getattr(fmod, name)._data = val.copy()
        fx = fastnn.tensor(x, requires_grad=True)
        fy, _ = fmod(fx)
        fy.backward(fastnn.tensor(dy))
    _compare("rnn_relu", "y", fy._data, ty.detach().numpy(), np.zeros(0), None, dtype)
    _compare("rnn_relu", "dx", fx.grad._data, tx.grad.numpy(), np.zeros(0), None, dtype)
    _compare("rnn_relu", "dw_ih", fmod.weight_ih_l0.grad._data, rnn.weight_ih_l0.grad.numpy(),
             np.zeros(0), None, dtype)
