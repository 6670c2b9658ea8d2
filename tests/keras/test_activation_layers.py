"""keras.layers.ReLU / LeakyReLU / ELU / Softmax: Keras 3's formulas and defaults (NumPy
references), gradients by finite differences, argument checks, and a .keras round trip."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import keras


def _np_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    y = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return np.minimum(y, max_value) if max_value is not None else y


@pytest.mark.parametrize("kw", [{}, {"max_value": 6.0}, {"negative_slope": 0.1},
                                {"threshold": 0.5, "negative_slope": 0.2, "max_value": 1.5}])
def test_relu_matches_keras_formula_and_grad(kw):
    x = np.random.default_rng(0).uniform(-3, 8, 40)  # no point on a kink
    layer = keras.layers.ReLU(**kw)
    t = fastnn.tensor(x, requires_grad=True)
    y = layer(t)
    np.testing.assert_allclose(y.detach().numpy(), _np_relu(x, **kw), rtol=1e-12)
    y.sum().backward()
    eps = 1e-6
    num = (_np_relu(x + eps, **kw) - _np_relu(x - eps, **kw)) / (2 * eps)
    np.testing.assert_allclose(t.grad.numpy(), num, atol=1e-6)


def test_other_activation_layers():
    x = np.linspace(-3, 3, 13).reshape(1, 13)
    t = fastnn.tensor(x)
    np.testing.assert_allclose(keras.layers.LeakyReLU()(t).numpy(), np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(keras.layers.ELU(alpha=0.5)(t).numpy(),
                               np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-12)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(keras.layers.Softmax()(t).numpy(), e / e.sum(), rtol=1e-12)
    mask = fastnn.tensor(np.arange(13).reshape(1, 13) < 5)
    sm = keras.layers.Softmax()(t, mask=mask).numpy()
    assert sm[0, 5:].max() < 1e-30 and abs(sm.sum() - 1) < 1e-12
    with pytest.raises(ValueError, match="max_value"):
        keras.layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope"):
        keras.layers.LeakyReLU(negative_slope=-0.1)


def test_relu_layer_in_saved_functional_model(tmp_path):
    inp = keras.Input((4,))
    h = keras.layers.Dense(3)(inp)
    out = keras.layers.ReLU(max_value=0.5, negative_slope=0.1)(h)
    model = keras.Model(inp, out)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    relu = [l for l in again.layers if type(l).__name__ == "ReLU"][0]
    assert relu.max_value == 0.5 and relu.negative_slope == 0.1
