"""The Keras-style front end: layers, compile/fit/evaluate/predict, callbacks, History."""
import csv
import io
import math

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.keras import Model, Sequential, callbacks
from fastnn.keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D


def blobs(n=240, seed=0):
    """Three well-separated Gaussian blobs in 2-D: any working classifier gets > 95%."""
    g = np.random.default_rng(seed)
    centers = np.array([[0, 4], [4, -2], [-4, -2]], dtype=np.float32)
    y = g.integers(0, 3, n)
    x = centers[y] + g.standard_normal((n, 2)).astype(np.float32) * 0.7
    return x, y


def mlp():
    return Sequential([Dense(32, activation="relu", input_shape=(2,)), Dense(3, activation="softmax")])


def test_fit_learns_and_history_records():
    fastnn.manual_seed(0)
    x, y = blobs()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=15, batch_size=16, validation_split=0.25, verbose=0)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(hist.history["loss"]) == 15 and hist.epoch == list(range(15))
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.95
    probs = model.predict(x[:7])
    assert probs.shape == (7, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_fused_logits_loss_equals_probability_loss():
    """Training through logits must give Keras's probability-based loss value."""
    fastnn.manual_seed(1)
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    fused = model.evaluate(x, y, verbose=0)
    probs = model.predict(x)
    expected = -np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1 - 1e-7)))
    assert math.isclose(fused, expected, rel_tol=1e-4)


def test_validation_split_takes_last_samples_like_keras():
    x, y = blobs(100)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    seen = []

    class Spy(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)
    model.fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=0, callbacks=[Spy()])
    assert len(seen) == 8  # 80 training samples / 10


def test_conv_layers_channels_last_and_same_padding():
    fastnn.manual_seed(0)
    model = Sequential([
        Conv2D(4, (3, 3), activation="relu", padding="same", input_shape=(8, 8, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(6, (3, 2), strides=2, padding="same"),
        Flatten(),
        Dense(5, activation="softmax"),
    ])
    out = model(fastnn.randn(3, 8, 8, 1))
    assert out.shape == (3, 5)
    assert model.layers[2].weight.shape == (6, 4, 3, 2)
    # Keras's 'same' with stride 2 on 4x4 gives ceil(4/2) = 2
    assert model.layers[2](fastnn.randn(1, 4, 4, 4)).shape == (1, 2, 2, 6)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]


def test_conv2d_matches_nchw_convolution():
    """A channels-last Conv2D is the NCHW conv with permuted axes."""
    layer = Conv2D(3, (2, 3), input_shape=(5, 6, 2))
    x = fastnn.randn(2, 5, 6, 2)
    expected = nn.functional.conv2d(x.permute(0, 3, 1, 2), layer.weight, layer.bias).permute(0, 2, 3, 1)
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_lazy_build_without_input_shape():
    model = Sequential([Dense(8, activation="relu"), Dense(2)])
    assert not model.built
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).standard_normal((20, 5)).astype(np.float32)
    model.fit(x, np.zeros((20, 2), np.float32), epochs=1, verbose=0)
    assert model.built and model.layers[0].weight.shape == (8, 5)


def test_model_wraps_any_module_and_accepts_torch_style_loss():
    fastnn.manual_seed(0)
    x, y = blobs()
    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    model = Model(net)
    model.compile(optimizer=fastnn.optim.SGD(net.parameters(), lr=0.1, momentum=0.9),
                  loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.95
    assert model.predict(x[:4]).shape == (4, 3)


def test_fit_on_dataloader():
    from fastnn.utils.data import DataLoader, TensorDataset
    x, y = blobs(64)
    loader = DataLoader(TensorDataset(fastnn.from_numpy(x), fastnn.from_numpy(y)), batch_size=16)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    hist = model.fit(loader, epochs=2, verbose=0)
    assert len(hist.history["accuracy"]) == 2


def test_early_stopping_restores_best_weights():
    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    # lr schedule that ruins training after epoch 2 so val_loss gets worse
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 if epoch < 2 else 50.0)
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    hist = model.fit(x, y, epochs=30, verbose=0, validation_data=(x, y), callbacks=[sched, stop])
    assert len(hist.epoch) < 30
    best = min(hist.history["val_loss"])
    assert math.isclose(model.evaluate(x, y, verbose=0), best, rel_tol=1e-4)


def test_model_checkpoint_and_csv_logger(tmp_path):
    x, y = blobs(48)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.safetensors"))
    log = callbacks.CSVLogger(str(tmp_path / "log.csv"))
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ckpt, log])
    assert sorted(p.name for p in tmp_path.glob("w-*")) == ["w-01.safetensors", "w-02.safetensors", "w-03.safetensors"]
    state = fastnn.load(str(tmp_path / "w-03.safetensors"))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(np.asarray(state[k].numpy()), v.detach().numpy())
    rows = list(csv.DictReader(open(tmp_path / "log.csv")))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and "accuracy" in rows[0]


def test_progress_bar_output(capsys):
    x, y = blobs(40)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=10, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "4/4 [" in out and "accuracy:" in out


def test_history_plot_without_matplotlib(monkeypatch, tmp_path, capsys):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *a, **k)
    h = callbacks.History()
    h.history = {"loss": [1.0, 0.5]}
    h.epoch = [0, 1]
    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert h.plot(str(tmp_path / "h.png")) is None
    assert "matplotlib" in capsys.readouterr().out


def test_compile_errors():
    model = mlp()
    with pytest.raises(ValueError, match="loss"):
        model.compile(optimizer="adam", loss="not_a_loss")
    with pytest.raises(ValueError, match="optimizer"):
        model.compile(optimizer="nope", loss="mse")
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 2)), np.zeros(2))
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="lengths"):
        model.fit(np.zeros((3, 2), np.float32), np.zeros((2, 3), np.float32), verbose=0)
    with pytest.raises(ValueError, match="units"):
        Dense(0)
    with pytest.raises(TypeError):
        Model("not a module")


def test_dropout_layer_respects_training_mode():
    layer = Dropout(0.5)
    x = fastnn.ones(1000)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), np.ones(1000, np.float32))
    layer.train()
    y = layer(x).numpy()
    assert 300 < (y == 0).sum() < 700 and np.allclose(y[y != 0], 2.0)
