"""keras.optimizers objects: each update held to Keras 3's formulas written out in NumPy
here (the same trajectories were checked against Keras 3.15 itself to float32 rounding),
plus the learning_rate property, serialisation and compile integration."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.keras as keras


def _grad(step, w):
    return 2.0 * w + np.random.default_rng(step).standard_normal(w.shape)


def _keras_reference(name, kw, w, steps):
    """Keras 3's update rules, step by step, in float64."""
    lr = kw.get("learning_rate", {"SGD": 0.01}.get(name, 0.001))
    wd = kw.get("weight_decay", 0.004 if name == "AdamW" else None)
    s = {}
    for t in range(1, steps + 1):
        g = _grad(t - 1, w)
        if kw.get("clipnorm") is not None:
            n = np.linalg.norm(g)
            g = g * (kw["clipnorm"] / n) if n > kw["clipnorm"] else g
        if kw.get("clipvalue") is not None:
            g = np.clip(g, -kw["clipvalue"], kw["clipvalue"])
        if wd:
            w = w - w * wd * lr
        if name in ("Adam", "AdamW"):
            b1, b2, eps = kw.get("beta_1", 0.9), kw.get("beta_2", 0.999), kw.get("epsilon", 1e-7)
            m = s.get("m", 0) + (g - s.get("m", 0)) * (1 - b1)
            v = s.get("v", 0) + (g * g - s.get("v", 0)) * (1 - b2)
            s.update(m=m, v=v)
            if kw.get("amsgrad"):
                v = s["vh"] = np.maximum(s.get("vh", 0), v)
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            w = w - alpha * m / (np.sqrt(v) + eps)
        elif name == "SGD":
            mom = kw.get("momentum", 0.0)
            m = s["m"] = mom * s.get("m", 0) - lr * g
            w = w + (mom * m - lr * g if kw.get("nesterov") else m)
        elif name == "RMSprop":
            rho, mom, eps = kw.get("rho", 0.9), kw.get("momentum", 0.0), kw.get("epsilon", 1e-7)
            v = s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
            if kw.get("centered"):
                a = s["a"] = rho * s.get("a", 0) + (1 - rho) * g
                v = v - a * a
            inc = lr * g / np.sqrt(v + eps)
            if mom > 0:
                inc = s["m"] = mom * s.get("m", 0) + inc
            w = w - inc
        elif name == "Adagrad":
            acc = s["acc"] = s.get("acc", kw.get("initial_accumulator_value", 0.1)) + g * g
            w = w - lr * g / np.sqrt(acc + kw.get("epsilon", 1e-7))
    return w


CASES = [("Adam", {}), ("Adam", dict(learning_rate=0.01, beta_1=0.8, epsilon=1e-3, amsgrad=True)),
         ("AdamW", {}), ("AdamW", dict(learning_rate=0.02, weight_decay=0.1)),
         ("SGD", {}), ("SGD", dict(learning_rate=0.05, momentum=0.9)),
         ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
         ("RMSprop", {}), ("RMSprop", dict(learning_rate=0.01, momentum=0.5, centered=True, rho=0.8)),
         ("Adagrad", {}), ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-3)),
         ("Adam", dict(learning_rate=0.01, clipnorm=0.5)), ("SGD", dict(learning_rate=0.1, clipvalue=0.2)),
         ("Adam", dict(learning_rate=0.01, weight_decay=0.05))]


@pytest.mark.parametrize("name,kw", CASES)
def test_update_matches_keras_formula(name, kw):
    w0 = np.random.default_rng(0).standard_normal((3, 4))
    p = fastnn.tensor(w0.copy(), requires_grad=True)
    opt = getattr(keras.optimizers, name)(**kw).build([p])
    for step in range(12):
        p.grad = fastnn.tensor(_grad(step, p._data))
        opt.step()
    np.testing.assert_allclose(p._data, _keras_reference(name, kw, w0, 12), rtol=1e-10, atol=1e-12)
    assert opt.iterations == 12


def test_keras_defaults_and_names():
    assert keras.optimizers.Adam().epsilon == 1e-7 and keras.optimizers.Adam().name == "adam"
    assert keras.optimizers.SGD().learning_rate == 0.01
    assert keras.optimizers.AdamW().weight_decay == 0.004
    assert keras.optimizers.RMSprop().rho == 0.9
    assert keras.optimizers.Adagrad().initial_accumulator_value == 0.1


def test_learning_rate_property_and_config_round_trip():
    p = fastnn.tensor(np.ones(3), requires_grad=True)
    opt = keras.optimizers.Adam(learning_rate=0.01, beta_1=0.8)
    opt.learning_rate = 0.02
    opt.build([p])
    assert opt.param_groups[0]["lr"] == 0.02
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.param_groups[0]["lr"] == 0.5
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert isinstance(again, keras.optimizers.Adam) and again.beta_1 == 0.8
    assert again.learning_rate == 0.5


def test_compile_with_optimizer_object_trains():
    fastnn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 2)).astype(np.float32)
    y = (x[:, 0] - x[:, 1] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    opt = keras.optimizers.Adam(learning_rate=0.01)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert model.optimizer is opt and opt.built and opt.iterations == 80
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


def test_bad_arguments():
    with pytest.raises(ValueError, match="clipnorm"):
        keras.optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(TypeError, match="unexpected"):
        keras.optimizers.SGD(lr_typo=0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        keras.optimizers.SGD(learning_rate=-1)
    with pytest.raises(RuntimeError, match="not built"):
        keras.optimizers.Adam().step()
    with pytest.raises(ValueError, match="unknown optimizer"):
        keras.optimizers.get("adamax_typo")


def test_learning_rate_schedules():
    S = keras.optimizers.schedules
    np.testing.assert_allclose([S.ExponentialDecay(0.1, 10, 0.5)(s) for s in (0, 5, 20)],
                               [0.1, 0.1 * 0.5 ** 0.5, 0.025])
    assert S.ExponentialDecay(0.1, 10, 0.5, staircase=True)(19) == pytest.approx(0.05)
    assert [S.PiecewiseConstantDecay([5, 12], [1.0, 0.5, 0.1])(s) for s in (5, 6, 12, 13)] == \
        [1.0, 0.5, 0.5, 0.1]
    poly = S.PolynomialDecay(0.1, 20, 0.001, power=2.0)
    assert poly(10) == pytest.approx(0.099 * 0.25 + 0.001) and poly(30) == pytest.approx(0.001)
    assert S.InverseTimeDecay(0.1, 5, 0.5)(10) == pytest.approx(0.05)
    cos = S.CosineDecay(0.0, 20, warmup_target=0.2, warmup_steps=5)
    assert cos(0) == 0.0 and cos(5) == pytest.approx(0.2) and cos(15) == pytest.approx(0.1)
    # recorded from Keras 3.15: CosineDecayRestarts(0.1, 5, t_mul=2, m_mul=0.5, alpha=0.01)(s)
    restarts = S.CosineDecayRestarts(0.1, 5, t_mul=2.0, m_mul=0.5, alpha=0.01)
    assert restarts(5) == pytest.approx(0.0505, abs=1e-6)
    assert restarts(15) == pytest.approx(0.02575, abs=1e-6)


def test_optimizer_follows_its_schedule_like_keras():
    S = keras.optimizers.schedules
    p = fastnn.tensor(np.ones(1), requires_grad=True)
    opt = keras.optimizers.SGD(S.ExponentialDecay(1.0, 1, 0.5)).build([p])
    seen = []
    for _ in range(3):
        p.grad = fastnn.ones(1, dtype=fastnn.float64)
        opt.step()
        seen.append(float(p._data[0]))
    assert seen == [0.0, -0.5, -0.75]  # updates use schedule(0), schedule(1), ... (Keras: same)
    assert opt.learning_rate == 0.125
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1
    again = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert again.learning_rate == 1.0  # a fresh optimizer starts at schedule(0)


def test_cosine_decay_warmup_steps_without_target_are_ignored():
    # Keras's CosineDecay warms up only when warmup_target is given; without it the
    # cosine starts at step 0 whatever warmup_steps says
    S = keras.optimizers.schedules
    plain = S.CosineDecay(0.1, 10)
    stray = S.CosineDecay(0.1, 10, warmup_steps=5)
    for step in (0, 3, 10, 15):
        assert stray(step) == pytest.approx(plain(step))
    assert stray(0) == pytest.approx(0.1)
    assert stray(5) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 0.5)))
