"""Custom Keras layers (add_weight, build, call with training), keras.ops, and
get_weights / set_weights in Keras's layout."""
import numpy as np
import pytest

import fastnn
import fastnn.keras as keras
from fastnn.keras import layers, ops


class Linear(layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        self.last_training = training
        return ops.matmul(inputs, self.w) + self.b


def test_custom_layer_builds_trains_and_saves(tmp_path):
    fastnn.manual_seed(0)
    layer = Linear(3)
    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    out = layer(fastnn.tensor(x))
    assert out.shape == (6, 3) and list(layer.state_dict()) == ["w", "b"]
    np.testing.assert_allclose(out.detach().numpy(), x @ layer.w._data + layer.b._data, rtol=1e-5)
    model = keras.Sequential([keras.Input((5,)), Linear(2), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.zeros((6, 1), np.float32), verbose=0)
    assert model.layers[0].last_training is True
    model.predict(x)
    assert model.layers[0].last_training is False
    model.save(tmp_path / "c.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        keras.models.load_model(tmp_path / "c.keras")
    again = keras.models.load_model(tmp_path / "c.keras", custom_objects={"Linear": Linear})
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_initializers_have_keras_scales():
    fastnn.manual_seed(0)
    layer = layers.Layer()
    w = layer.add_weight(shape=(400, 600), initializer="glorot_uniform")
    limit = np.sqrt(6 / 1000)
    assert np.abs(w._data).max() <= limit and np.abs(w._data).max() > 0.95 * limit
    h = layer.add_weight(shape=(3, 3, 64, 32), initializer="he_normal")
    assert np.std(h._data) == pytest.approx(np.sqrt(2 / (9 * 64)), rel=0.05)
    assert np.abs(h._data).max() <= 2 * np.sqrt(2 / (9 * 64)) / 0.8796 + 1e-6  # truncated
    z = layer.add_weight(shape=(2,), initializer="zeros", trainable=False)
    assert not z.requires_grad and layer.non_trainable_weights == [z]
    with pytest.raises(ValueError, match="initializer"):
        layer.add_weight(shape=(2,), initializer="nope")


def test_get_and_set_weights_use_keras_layout():
    dense = layers.Dense(3)
    dense.build((None, 5))
    kernel, bias = dense.get_weights()
    assert kernel.shape == (5, 3)
    np.testing.assert_array_equal(kernel, dense.weight._data.T)
    new = np.arange(15, dtype=np.float32).reshape(5, 3)
    dense.set_weights([new, np.ones(3)])
    x = np.ones((1, 5), np.float32)
    np.testing.assert_allclose(dense(fastnn.tensor(x)).detach().numpy(), x @ new + 1)
    conv = layers.Conv2D(4, (3, 2))
    conv.build((None, 6, 6, 2))
    assert [w.shape for w in conv.get_weights()] == [(3, 2, 2, 4), (4,)]
    conv.set_weights(conv.get_weights())
    with pytest.raises(ValueError, match="expected 2"):
        dense.set_weights([new])


def test_ops_match_numpy():
    a = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_allclose(ops.matmul(a, b).numpy(), a @ b, rtol=1e-5)
    np.testing.assert_allclose(ops.sum(a, axis=1, keepdims=True).numpy(), a.sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(ops.max(a, axis=(0, 1)).numpy(), a.max(), rtol=1e-6)
    np.testing.assert_allclose(ops.softmax(a).numpy(),
                               np.exp(a) / np.exp(a).sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(ops.concatenate([a, a], axis=1).numpy(), np.concatenate([a, a], 1))
    np.testing.assert_allclose(ops.transpose(a).numpy(), a.T)
    assert ops.shape(ops.expand_dims(a, 0)) == (1, 3, 4)
    assert ops.convert_to_tensor(np.zeros(2)).dtype == fastnn.float32


def test_layer_rejects_unknown_arguments():
    with pytest.raises(TypeError, match="unexpected"):
        Linear(2, colour="red")


def test_regularizers_add_to_the_loss_like_keras(tmp_path):
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(
        1, kernel_initializer="ones", bias_initializer="zeros",
        kernel_regularizer=keras.regularizers.l2(0.1), bias_regularizer=keras.regularizers.L1(0.5))])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    # mse of predictions 3 is 9; 0.1 * (3 weights of 1) = 0.3 (Keras 3.15 reports 9.3 too)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(9.3)
    assert model.fit(x, y, verbose=0).history["loss"] == [pytest.approx(9.3)]
    model.save(tmp_path / "r.keras")
    again = keras.models.load_model(tmp_path / "r.keras")
    assert again.layers[0].kernel_regularizer.get_config() == {"l2": 0.1}
    # the penalty's gradient reaches the weights: with lr > 0, L2 alone shrinks them
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(np.zeros((4, 3), np.float32), y, verbose=0, batch_size=4)
    np.testing.assert_allclose(model.layers[0].get_weights()[0], np.full((3, 1), 1 - 0.5 * 0.2), rtol=1e-6)


def test_kernel_initializers():
    fastnn.manual_seed(0)
    d = layers.Dense(300, kernel_initializer="he_uniform", bias_initializer="ones")
    d.build((None, 200))
    k, b = d.get_weights()
    limit = np.sqrt(6 / 200)
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.95 * limit
    np.testing.assert_array_equal(b, np.ones(300))
    c = layers.Conv2D(8, 3, kernel_initializer="zeros")
    c.build((None, 5, 5, 2))
    assert not c.get_weights()[0].any()


def test_initializer_objects(tmp_path):
    fastnn.manual_seed(1)
    init = keras.initializers
    w = init.HeNormal()((64, 32, 3, 3)[::-1])  # Keras layout (kh, kw, in, out) = (3, 3, 32, 64)
    assert w.shape == (3, 3, 32, 64)
    assert np.std(w) == pytest.approx(np.sqrt(2 / (3 * 3 * 32)), rel=0.05)
    np.testing.assert_array_equal(init.Constant(0.5)((2,)), [0.5, 0.5])
    q = init.Orthogonal()((6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-6)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(
        2, kernel_initializer=init.RandomNormal(stddev=0.01), bias_initializer=init.Constant(0.1))])
    assert np.abs(model.get_weights()[0]).max() < 0.06
    np.testing.assert_allclose(model.get_weights()[1], [0.1, 0.1])
    model.save(tmp_path / "i.keras")  # initializer objects travel as configs
    again = keras.models.load_model(tmp_path / "i.keras")
    np.testing.assert_array_equal(again.get_weights()[0], model.get_weights()[0])
    assert isinstance(init.get("glorot_uniform"), init.GlorotUniform)
    with pytest.raises(ValueError, match="unknown initializer"):
        init.get("nope")
