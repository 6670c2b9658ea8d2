"""keras.Input and the functional Model, subclassed Models, Sequential with an Input,
fit with class_weight / sample_weight (Keras's normalisation, checked against NumPy),
Model.save / load_model, utils.to_categorical."""
import json

import numpy as np
import pytest

import fastnn
import fastnn.keras as keras
from fastnn.keras import layers


def _xy(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    x2 = rng.standard_normal((n, 2)).astype(np.float32)
    y = ((x[:, 0] + x2[:, 1]) > 0).astype(np.float32).reshape(-1, 1)
    return x, x2, y


def _two_input_model():
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(2,), name="b")
    h = layers.Dense(16, activation="relu", name="hidden")(a)
    h = layers.Concatenate()([h, b])
    out = layers.Dense(1, activation="sigmoid", name="out")(h)
    return keras.Model([a, b], out, name="two")


def test_input_is_symbolic():
    t = keras.Input(shape=(28, 28, 1), name="img")
    assert t.shape == (None, 28, 28, 1) and t.dtype == "float32" and t.name == "img"
    assert keras.Input((3,), dtype="int64").dtype == "int64"
    with pytest.raises(ValueError, match="shape"):
        keras.Input()


def test_functional_forward_equals_layer_composition():
    fastnn.manual_seed(0)
    model = _two_input_model()
    x, x2, _ = _xy(5)
    hidden, out = model.get_layer("hidden"), model.get_layer("out")
    h = np.maximum(x @ hidden.weight._data.T + hidden.bias._data, 0)
    z = np.concatenate([h, x2], axis=1) @ out.weight._data.T + out.bias._data
    got = model([fastnn.tensor(x), fastnn.tensor(x2)]).detach().numpy()
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-z)), rtol=1e-5)
    names = [l.name for l in model.layers]
    assert names[:3] == ["a", "b", "hidden"] and names[3].startswith("concatenate") and names[4] == "out"
    assert sorted(model.state_dict()) == ["hidden.bias", "hidden.weight", "out.bias", "out.weight"]


def test_functional_fit_predict_summary(capsys):
    fastnn.manual_seed(0)
    model = _two_input_model()
    x, x2, y = _xy()
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc"), "accuracy"])
    hist = model.fit([x, x2], y, epochs=15, batch_size=16, verbose=0, validation_split=0.25)
    assert set(hist.history) == {"loss", "auc", "accuracy", "val_loss", "val_auc", "val_accuracy"}
    assert hist.history["accuracy"][-1] > 0.85
    assert model.predict({"a": x, "b": x2}).shape == (96, 1)
    model.summary()
    assert "hidden" in capsys.readouterr().out


def test_shared_layer_and_multiple_outputs():
    inp = keras.Input((3,))
    shared = layers.Dense(3, name="shared")
    y1 = shared(inp)
    y2 = shared(y1)  # the same layer twice: registered once
    model = keras.Model(inp, [y1, layers.Add()([y1, y2])])
    assert list(dict(model.named_children())) == ["shared", model.layers[-1].name]
    outs = model.predict(np.ones((4, 3), np.float32))
    assert isinstance(outs, list) and outs[0].shape == (4, 3) and outs[1].shape == (4, 3)


def test_graph_errors():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = layers.Dense(1)(layers.Add()([a, b]))
    with pytest.raises(ValueError, match="disconnected"):
        keras.Model(a, out)
    with pytest.raises(TypeError, match="outputs"):
        keras.Model(a, np.zeros(2))
    d = layers.Dense(1, name="dup")
    d2 = layers.Dense(1, name="dup")
    with pytest.raises(ValueError, match="unique"):
        keras.Model(a, d2(d(a)))


def test_subclassed_model():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(8, activation="relu")
            self.drop = layers.Dropout(0.5)
            self.d2 = layers.Dense(2, activation="softmax")

        def call(self, inputs, training=None):
            self.seen_training = training
            return self.d2(self.drop(self.d1(inputs)))

    net = Net()
    x, _, y = _xy(32)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    net.fit(x, y.reshape(-1).astype(int), epochs=1, verbose=0)
    assert net.seen_training is True
    net.predict(x)
    assert net.seen_training is False
    assert net.name == "net"


def test_sequential_with_input_builds_at_once():
    model = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4), layers.Dense(2)])
    assert model.built and model.layers[1].weight.shape == (2, 4)
    assert len(model.layers) == 2  # the Input is not a layer, as in Keras


def test_sample_weight_loss_is_keras_normalised():
    # lr = 0: the logged loss is the loss of the initial weights, checked in NumPy
    fastnn.manual_seed(0)
    x, _, y = _xy(40)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    p = model.predict(x)[:, 0].astype(np.float64)
    p = np.clip(p, 1e-7, 1 - 1e-7)
    t = y[:, 0]
    per = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    sw = np.linspace(0.0, 3.0, 40)
    cw = np.where(t > 0, 4.0, 0.5)
    for kw, w in ((dict(sample_weight=sw), sw), (dict(class_weight={0: 0.5, 1: 4.0}), cw)):
        hist = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0, **kw)
        # each batch: sum(w * loss) / batch size; the epoch: batches averaged by size
        batches = [(w[i:i + 16] * per[i:i + 16]).sum() / len(per[i:i + 16]) for i in range(0, 40, 16)]
        want = np.average(batches, weights=[16, 16, 8])
        assert hist.history["loss"][0] == pytest.approx(want, rel=1e-5)
    assert model.evaluate(x, y, sample_weight=sw, verbose=0) == pytest.approx((sw * per).sum() / 40,
                                                                               rel=1e-5)


def test_metrics_weighted_only_in_weighted_metrics():
    x, _, y = _xy(40)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="acc")],
                  weighted_metrics=[keras.metrics.BinaryAccuracy(name="wacc")])
    sw = np.where(y[:, 0] > 0, 5.0, 1.0)
    logs = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    hit = ((model.predict(x)[:, 0] > 0.5) == (y[:, 0] > 0)).astype(float)
    assert logs["acc"] == pytest.approx(hit.mean())
    assert logs["wacc"] == pytest.approx((sw * hit).sum() / sw.sum(), rel=1e-6)


def test_weight_argument_errors():
    x, _, y = _xy(10)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="at the same time"):
        model.fit(x, y, class_weight={0: 1, 1: 2}, sample_weight=np.ones(10), verbose=0)
    with pytest.raises(ValueError, match="class"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(x, y, sample_weight=np.ones(3), verbose=0)


def test_save_and_load_model(tmp_path):
    fastnn.manual_seed(0)
    x, x2, y = _xy(32)
    for model, data in ((_two_input_model(), [x, x2]),
                        (keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="tanh"),
                                           layers.Dropout(0.2), layers.Dense(1, activation="sigmoid")]), x)):
        model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="binary_crossentropy",
                      metrics=[keras.metrics.Precision(name="prec"), "accuracy"])
        model.fit(data, y, epochs=2, verbose=0)
        path = tmp_path / "m.keras"
        model.save(path)
        again = keras.models.load_model(path)
        assert type(again) is type(model)
        np.testing.assert_array_equal(again.predict(data), model.predict(data))
        assert again.evaluate(data, y, verbose=0, return_dict=True) == pytest.approx(
            model.evaluate(data, y, verbose=0, return_dict=True))
        # the file is plain safetensors whose header holds the JSON architecture
        state, meta = fastnn.load(path, return_metadata=True)
        assert json.loads(meta["fastnn.keras.model"])["class_name"] in ("Sequential", "Functional")
        assert set(state) == set(model.state_dict())


def test_save_errors(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation=lambda t: t * 2)])
    with pytest.raises(ValueError, match="JSON"):
        model.save(tmp_path / "m.keras")
    ok = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="HDF5|h5"):
        ok.save(tmp_path / "m.h5")
    ok.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="architecture"):
        keras.models.load_model(tmp_path / "w.weights.h5")
    other = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(other.layers[0].weight._data, ok.layers[0].weight._data)
    with pytest.raises(ValueError, match="subclassed|wrapped"):
        keras.Model(fastnn.nn.Linear(2, 1)).save(tmp_path / "x.keras")


def test_to_categorical():
    out = keras.utils.to_categorical([0, 2, 1], num_classes=4)
    np.testing.assert_array_equal(out, np.eye(4)[[0, 2, 1]])
    assert keras.utils.to_categorical(np.array([[1], [2]])).shape == (2, 3)
    with pytest.raises(ValueError, match="range"):
        keras.utils.to_categorical([3], num_classes=3)
    with pytest.raises(ValueError, match=">= 0"):
        keras.utils.to_categorical([-1])


def test_several_outputs_train_with_weighted_losses():
    fastnn.manual_seed(0)
    inp = keras.Input((3,))
    h = layers.Dense(8, activation="relu")(inp)
    cls = layers.Dense(2, activation="softmax", name="cls")(h)
    reg = layers.Dense(1, name="reg")(h)
    model = keras.Model(inp, [cls, reg])
    rng = np.random.default_rng(0)
    x = rng.random((20, 3)).astype(np.float32)
    y1, y2 = rng.integers(0, 2, 20), rng.random((20, 1)).astype(np.float32)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])
    p1, p2 = model.predict(x)
    ce = -np.log(np.clip(p1[np.arange(20), y1], 1e-7, 1))
    mse = ((p2 - y2) ** 2)[:, 0]
    logs = model.evaluate(x, [y1, y2], batch_size=20, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"]
    assert logs["cls_loss"] == pytest.approx(ce.mean(), rel=1e-5)
    assert logs["reg_loss"] == pytest.approx(mse.mean(), rel=1e-5)
    assert logs["loss"] == pytest.approx(ce.mean() + 0.5 * mse.mean(), rel=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss={"cls": "sparse_categorical_crossentropy",
                                                              "reg": "mse"})
    hist = model.fit(x, {"cls": y1, "reg": y2}, epochs=30, batch_size=10, verbose=0, validation_split=0.2)
    assert {"val_cls_loss", "val_reg_loss"} <= set(hist.history)
    assert hist.history["reg_loss"][-1] < hist.history["reg_loss"][0]
    with pytest.raises(ValueError, match="outputs"):
        model.fit(x, y1, verbose=0)
    with pytest.raises(ValueError, match="unknown outputs"):
        model.compile(optimizer="sgd", loss={"nope": "mse", "cls": "mse"})


def test_loss_objects_take_kerass_arguments():
    yt = np.array([[1], [0], [1]], np.float32)
    yp = np.array([[0.8], [0.3], [0.4]], np.float32)
    t = yt * 0.8 + 0.1  # label_smoothing=0.2: y (1 - s) + s / 2
    want = -np.mean(t * np.log(yp) + (1 - t) * np.log(1 - yp))
    got = keras.losses.BinaryCrossentropy(label_smoothing=0.2, name="bce")(yt, yp)
    assert float(got) == pytest.approx(want, rel=1e-5)  # Keras 3.15 gives 0.5596406
    assert keras.losses.MeanSquaredError(name="m").name == "m"
    with pytest.raises(NotImplementedError, match="reduction"):
        keras.losses.MeanSquaredError(reduction="none")


def test_build_with_an_input_shape():
    model = keras.Sequential()
    model.add(layers.Dense(4, activation="relu"))
    model.add(layers.Dense(2))
    assert not model.built
    model.build((None, 7))
    assert model.built and model.layers[0].get_weights()[0].shape == (7, 4)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(3)

        def call(self, x):
            return self.d(x)
    net = Net()
    net.build((None, 5))
    assert net.d.get_weights()[0].shape == (5, 3)


def test_backend_helpers():
    keras.backend.clear_session()
    assert layers.Dense(2).name == "dense" and layers.Dense(2).name == "dense_1"
    assert keras.backend.epsilon() == 1e-7 and keras.backend.image_data_format() == "channels_last"


def test_model_get_and_set_weights():
    model = _two_input_model()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 16), (16,), (18, 1), (1,)]  # Keras layouts
    other = _two_input_model()
    other.set_weights(weights)
    x, x2, _ = _xy(6)
    np.testing.assert_array_equal(other.predict([x, x2]), model.predict([x, x2]))
    with pytest.raises(ValueError, match="too many"):
        other.set_weights(weights + [np.zeros(1)])


def test_fit_on_a_pydataset_and_a_generator():
    x, _, y = _xy(64)

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.epochs_seen = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]

        def on_epoch_end(self):
            self.epochs_seen += 1

    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    data = Batches()
    hist = model.fit(data, epochs=3, verbose=0, validation_data=data)
    assert len(hist.history["val_loss"]) == 3 and data.epochs_seen == 6
    assert model.predict(data).shape == (64, 1)

    def forever():
        while True:
            for i in range(4):
                yield x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]
    source = forever()
    hist = model.fit(source, epochs=2, steps_per_epoch=3, verbose=0)
    assert len(hist.history["loss"]) == 2 and min(hist.history["loss"]) > 0  # both epochs trained
    assert next(source)[0].shape == (16, 4)  # and the generator is still open
    assert len(model.evaluate(forever(), steps=2, verbose=0, return_dict=True)) == 2
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(forever(), epochs=1, verbose=0)
