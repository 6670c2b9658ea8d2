# Activations with inplace=True: the input is overwritten and returned, with or without
# autograd, with PyTorch's values and gradients (NumPy formulas always; PyTorch where
# installed).
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn

A = np.linspace(-3, 2, 12).reshape(3, 4)
_S, _L = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _ref(name, x):
    sp = np.log1p(np.exp(x))
    return {"elu": np.where(x > 0, x, np.expm1(x)),
            "selu": _S * np.where(x > 0, x, _L * np.expm1(x)),
            "silu": x / (1 + np.exp(-x)),
            "mish": x * np.tanh(sp),
            "relu": np.maximum(x, 0),
            "relu6": np.clip(x, 0, 6),
            "hardtanh": np.clip(x, -1, 1),
            "leaky_relu": np.where(x > 0, x, 0.01 * x)}[name]


NAMES = ["elu", "selu", "silu", "mish", "relu", "relu6", "hardtanh", "leaky_relu"]


@pytest.mark.parametrize("name", NAMES)
def test_inplace_overwrites_and_returns_input(name):
    x = fastnn.tensor(A.copy())
    y = getattr(F, name)(x, inplace=True)
    assert y is x
    np.testing.assert_allclose(x.numpy(), _ref(name, A), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_out_of_place_leaves_input(name):
    x = fastnn.tensor(A.copy())
    y = getattr(F, name)(x)
    assert y is not x
    np.testing.assert_array_equal(x.numpy(), A)


@pytest.mark.parametrize("name", NAMES)
def test_inplace_on_leaf_requiring_grad_raises(name):
    x = fastnn.tensor(A.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        getattr(F, name)(x, inplace=True)


@pytest.mark.parametrize("name", NAMES)
def test_inplace_on_non_leaf_gradient(name):
    # d/dx sum(f(2x)) = 2 f'(2x), f' by central differences of the NumPy formula
    x = fastnn.tensor(A.copy(), requires_grad=True)
    h = x * 2
    out = getattr(F, name)(h, inplace=True)
    assert out is h
    h.sum().backward()
    eps = 1e-6
    fd = (_ref(name, 2 * A + eps) - _ref(name, 2 * A - eps)) / (2 * eps) * 2
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls", [nn.ELU, nn.SELU, nn.SiLU, nn.Mish])
def test_modules_inplace(cls):
    x = fastnn.tensor(A.copy())
    assert cls(inplace=True)(x) is x
    assert not np.array_equal(x.numpy(), A)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(A, requires_grad=True)
    ht = xt * 2
    getattr(torch.nn.functional, name)(ht, inplace=True)
    (ht * ht).sum().backward()
    xf = fastnn.tensor(A.copy(), requires_grad=True)
    hf = xf * 2
    getattr(F, name)(hf, inplace=True)
    (hf * hf).sum().backward()
    np.testing.assert_allclose(hf.detach().numpy(), ht.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_dropout_inplace_on_non_leaf():
    fastnn.manual_seed(0)
    x = fastnn.tensor(A.copy() + 5.0, requires_grad=True)  # no zeros: kept == nonzero
    h = x * 2
    out = F.dropout(h, 0.5, training=True, inplace=True)
    assert out is h
    kept = h.detach().numpy() != 0
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(h.detach().numpy()[kept], 4 * (A + 5.0)[kept], rtol=1e-12)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4.0 * kept)
