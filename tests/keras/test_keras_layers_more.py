"""The second set of Keras layers held to NumPy written from Keras's definitions (the same
outputs were checked against Keras 3.15 itself with shared weights, to float32 rounding)."""
import numpy as np
import pytest

import fastnn
import fastnn.keras as keras
from fastnn.keras import layers


def _run(layer, x, training=False):
    layer.train(training)
    out = layer(fastnn.tensor(x))
    return [o.detach().numpy() for o in out] if isinstance(out, list) else out.detach().numpy()


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _set_random(layer, x, seed=0):
    _run(layer, x)
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in layer.get_weights()]
    layer.set_weights(ws)
    return ws


X3 = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
X4 = np.random.default_rng(1).standard_normal((4, 3, 3, 2)).astype(np.float32)


def test_lstm_is_kerass_lstm():
    layer = layers.LSTM(4, return_sequences=True, return_state=True)
    k, rk, b = _set_random(layer, X3)
    seq, h_last, c_last = _run(layer, X3)
    h = c = np.zeros((2, 4))
    for t in range(5):
        z = X3[:, t] @ k + h @ rk + b
        i, f, g, o = np.split(z, 4, axis=1)  # Keras gate order i, f, c, o
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        np.testing.assert_allclose(seq[:, t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_last, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c_last, c, rtol=1e-5, atol=1e-6)
    fresh = layers.LSTM(3)
    _run(fresh, X3)
    np.testing.assert_array_equal(fresh.get_weights()[2], np.r_[np.zeros(3), np.ones(3), np.zeros(6)])


def test_gru_is_kerass_gru_reset_after():
    layer = layers.GRU(4, return_sequences=True)
    k, rk, b = _set_random(layer, X3)
    seq = _run(layer, X3)
    h = np.zeros((2, 4))
    for t in range(5):
        xz, xr, xh = np.split(X3[:, t] @ k + b[0], 3, axis=1)  # Keras gate order z, r, h
        hz, hr, hh = np.split(h @ rk + b[1], 3, axis=1)
        z, r = _sig(xz + hz), _sig(xr + hr)
        h = z * h + (1 - z) * np.tanh(xh + r * hh)
        np.testing.assert_allclose(seq[:, t], h, rtol=1e-5, atol=1e-6)


def test_conv1d_padding_modes():
    for padding, stride, dil in (("valid", 1, 1), ("same", 2, 1), ("causal", 1, 2)):
        layer = layers.Conv1D(3, 3, strides=stride, padding=padding, dilation_rate=dil)
        k, b = _set_random(layer, X3)
        x = X3
        span = 2 * dil
        if padding == "causal":
            x = np.pad(x, ((0, 0), (span, 0), (0, 0)))
        elif padding == "same":
            total = max((-(-5 // stride) - 1) * stride + span + 1 - 5, 0)
            x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
        steps = (x.shape[1] - span - 1) // stride + 1
        want = np.stack([sum(x[:, s * stride + j * dil] @ k[j] for j in range(3)) + b
                         for s in range(steps)], axis=1)
        np.testing.assert_allclose(_run(layer, X3), want, rtol=1e-5, atol=1e-6)


def test_batch_normalization_train_and_inference():
    layer = layers.BatchNormalization(momentum=0.9)
    gamma, beta, mm, mv = _set_random(layer, X4)
    mv = np.abs(mv) + 0.5
    layer.set_weights([gamma, beta, mm, mv])
    np.testing.assert_allclose(_run(layer, X4), (X4 - mm) / np.sqrt(mv + 1e-3) * gamma + beta,
                               rtol=1e-5, atol=1e-6)
    out = _run(layer, X4, training=True)
    mean, var = X4.mean(axis=(0, 1, 2)), X4.var(axis=(0, 1, 2))
    np.testing.assert_allclose(out, (X4 - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[2], 0.9 * mm + 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[3], 0.9 * mv + 0.1 * var, rtol=1e-5)  # biased var


def test_shape_layers():
    np.testing.assert_array_equal(_run(layers.UpSampling2D((2, 3)), X4),
                                  X4.repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(_run(layers.ZeroPadding2D(((1, 0), (2, 1))), X4),
                                  np.pad(X4, ((0, 0), (1, 0), (2, 1), (0, 0))))
    np.testing.assert_array_equal(_run(layers.GlobalMaxPooling2D(), X4), X4.max(axis=(1, 2)))
    np.testing.assert_allclose(_run(layers.GlobalAveragePooling1D(), X3), X3.mean(axis=1), rtol=1e-6)
    np.testing.assert_array_equal(_run(layers.MaxPooling1D(2), X3), X3[:, :4].reshape(2, 2, 2, 3).max(2))
    np.testing.assert_allclose(_run(layers.Rescaling(0.5, offset=1), X4), X4 * 0.5 + 1)
    ln = layers.LayerNormalization()
    want = (X3 - X3.mean(-1, keepdims=True)) / np.sqrt(X3.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(_run(ln, X3), want, rtol=1e-4, atol=1e-5)


def test_normalization_adapt_and_embedding():
    norm = layers.Normalization()
    norm.adapt(X4)
    np.testing.assert_allclose(_run(norm, X4), (X4 - X4.mean((0, 1, 2))) / X4.std((0, 1, 2)),
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(RuntimeError, match="adapt"):
        _run(layers.Normalization(), X4)
    emb = layers.Embedding(10, 3)
    table = emb.get_weights()[0]
    assert np.abs(table).max() <= 0.05
    ids = np.array([[1, 2], [9, 0]])
    np.testing.assert_array_equal(_run(emb, ids), table[ids])


def test_text_model_trains_saves_and_loads(tmp_path):
    fastnn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, (200, 12))
    y = (x == 7).any(axis=1).astype(np.float32)  # does the sequence contain token 7?
    inp = keras.Input((12,), dtype="int64")
    h = layers.Embedding(20, 8)(inp)
    h = layers.LSTM(16)(h)
    h = layers.BatchNormalization()(h)
    out = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.85
    model.save(tmp_path / "text.keras")
    again = keras.models.load_model(tmp_path / "text.keras")
    np.testing.assert_array_equal(again.predict(x[:10]), model.predict(x[:10]))


def test_unsupported_options_say_so():
    with pytest.raises(NotImplementedError, match="activation"):
        layers.LSTM(3, activation="relu")
    with pytest.raises(NotImplementedError, match="mask_zero"):
        layers.Embedding(5, 2, mask_zero=True)


def test_simple_rnn_and_bidirectional():
    rnn = layers.SimpleRNN(4, return_sequences=True)
    k, rk, b = _set_random(rnn, X3)
    h, steps = np.zeros((2, 4)), []
    for t in range(5):
        h = np.tanh(X3[:, t] @ k + h @ rk + b)
        steps.append(h)
    np.testing.assert_allclose(_run(rnn, X3), np.stack(steps, 1), rtol=1e-5, atol=1e-6)
    bi = layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True))
    ws = _set_random(bi, X3)
    fwd, bwd = layers.SimpleRNN(3, return_sequences=True), layers.SimpleRNN(3, return_sequences=True)
    _run(fwd, X3), _run(bwd, X3)
    fwd.set_weights(ws[:3])
    bwd.set_weights(ws[3:])
    want = np.concatenate([_run(fwd, X3), _run(bwd, X3[:, ::-1].copy())[:, ::-1]], axis=-1)
    np.testing.assert_allclose(_run(bi, X3), want, rtol=1e-5, atol=1e-6)


def test_time_distributed_and_symbolic_arithmetic(tmp_path):
    td = layers.TimeDistributed(layers.Dense(2))
    k, b = _set_random(td, X3)
    np.testing.assert_allclose(_run(td, X3), X3 @ k + b, rtol=1e-5, atol=1e-6)
    inp = keras.Input((3,))
    out = (inp * 2.0 + 1.0) - inp[:, :1]
    model = keras.Model(inp, out)
    x = X3[:, 0]
    np.testing.assert_allclose(model.predict(x), x * 2 + 1 - x[:, :1], rtol=1e-6)
    with pytest.raises(ValueError, match="JSON"):
        model.save(tmp_path / "lambda.keras")  # a Lambda holds code: never saved as architecture


def test_bidirectional_model_saves_and_loads(tmp_path):
    inp = keras.Input((5, 3))
    h = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(inp)
    out = layers.TimeDistributed(layers.Dense(1))(h)
    model = keras.Model(inp, out)
    model.save(tmp_path / "bi.keras")
    again = keras.models.load_model(tmp_path / "bi.keras")
    np.testing.assert_array_equal(again.predict(X3), model.predict(X3))


def test_shape_layers_channels_first():
    # data_format="channels_first": (N, C, H, W) in and out, the same values as channels last
    xf = X4.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(_run(layers.UpSampling2D((2, 3), data_format="channels_first"), xf),
                                  xf.repeat(2, axis=2).repeat(3, axis=3))
    np.testing.assert_array_equal(_run(layers.ZeroPadding2D(((1, 0), (2, 1)), data_format="channels_first"), xf),
                                  np.pad(xf, ((0, 0), (0, 0), (1, 0), (2, 1))))
    with pytest.raises(ValueError, match="data_format"):
        layers.ZeroPadding2D(data_format="nhwc")
    with pytest.raises(ValueError, match="data_format"):
        layers.UpSampling2D(data_format="nhwc")
