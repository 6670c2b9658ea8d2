"""quantize="int8": per-channel int8 weights, calibrated activation scales, int32
accumulation. A CNN trained briefly on the bundled digits keeps its accuracy
within 1 point of the float export, in an object file at most 40% the size."""
import os
import sys

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.datasets import load_digits
from fastnn.export._int8 import quantize_weight

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402


def test_quantize_weight_per_channel():
    w = np.array([[0.5, -1.0, 0.25], [0.0, 0.0, 0.0], [2.0, 1.0, -0.01]], np.float32)
    q, s = quantize_weight(w)
    assert q.dtype == np.int8
    np.testing.assert_allclose(s, [1.0 / 127, 1.0, 2.0 / 127], rtol=1e-6)
    np.testing.assert_array_equal(q[0], [64, -127, 32])   # 63.5 rounds away from zero
    np.testing.assert_array_equal(q[1], [0, 0, 0])
    assert np.abs(q * s[:, None] - w).max() <= s.max() / 2 + 1e-7


def _train_cnn():
    fastnn.manual_seed(0)
    x, y = load_digits("train")
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = fastnn.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for _ in range(4):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(fastnn.tensor(x[idx])), fastnn.tensor(y[idx]))
            loss.backward()
            opt.step()
    model.eval()
    return model, x


@pytest.mark.skipif(_build.CC is None, reason="no C compiler found")
def test_int8_accuracy_and_size(tmp_path):
    model, x_train = _train_cnn()
    x_test, y_test = load_digits("test")
    results = {}
    for mode in (None, "int8"):
        d = tmp_path / str(mode)
        fastnn.export.to_c(model, fastnn.tensor(x_test[:1]), str(d), quantize=mode,
                           calibration=x_train[:256])
        exe = _build.build(str(d), opt="-O2")
        out = _build.run(exe, x_test.reshape(len(x_test), -1), 10)
        results[mode] = ((out.argmax(1) == y_test).mean(), os.path.getsize(d / "model.o"), out)
    with fastnn.no_grad():
        ref = model(fastnn.tensor(x_test)).numpy()
    np.testing.assert_allclose(results[None][2], ref, atol=1e-4, rtol=1e-4)
    float_acc, float_size, _ = results[None]
    int8_acc, int8_size, int8_out = results["int8"]
    assert float_acc > 0.85
    assert abs(int8_acc - float_acc) <= 0.01, (float_acc, int8_acc)
    assert int8_size <= 0.4 * float_size, (int8_size, float_size)
    # the int8 result is an approximation, not a copy of the float one
    assert 0 < np.abs(int8_out - ref).max() < 0.2 * np.abs(ref).max()


@pytest.mark.skipif(_build.CC is None, reason="no C compiler found")
@pytest.mark.parametrize("n_in,n_out", [(20, 6), (300, 37)])  # the plain loop; 16-wide tiles too
def test_int8_matches_numpy_reference(tmp_path, n_in, n_out):
    """The C int8 Linear equals the scheme computed in NumPy (int32 sums, then scales)."""
    fastnn.manual_seed(3)
    lin = nn.Linear(n_in, n_out)
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((32, n_in)).astype(np.float32)
    x = rng.standard_normal((1, n_in)).astype(np.float32)
    fastnn.export.to_c(lin, fastnn.tensor(x), str(tmp_path), quantize="int8", calibration=calib)
    exe = _build.build(str(tmp_path))
    got = _build.run(exe, x, n_out)[0]
    w = lin.weight.detach().numpy()
    wq, ws = quantize_weight(w)
    xs = np.float32(np.abs(calib).max() / 127)
    v = np.clip(x[0] / xs, -127, 127)
    xq = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int32)
    acc = wq.astype(np.int32) @ xq
    want = acc * (xs * ws) + lin.bias.detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(_build.CC is None, reason="no C compiler found")
def test_int8_conv_geometry(tmp_path):
    """Grouped, strided, dilated, padded Conv2d and a Conv1d in int8 stay close to
    float (an indexing slip would be far off: errors the size of the outputs)."""
    fastnn.manual_seed(4)
    m = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), nn.ReLU(),
                      nn.Flatten(2), nn.Conv1d(6, 4, 3, padding=1, groups=2), nn.Flatten(),
                      nn.Linear(360, 5))
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((64, 4, 17, 19)).astype(np.float32)
    x = rng.standard_normal((3, 1, 4, 17, 19)).astype(np.float32)
    fastnn.export.to_c(m, fastnn.tensor(x[0]), str(tmp_path), quantize="int8", calibration=calib)
    got = _build.run(_build.build(str(tmp_path)), x.reshape(3, -1), 5)
    with fastnn.no_grad():
        want = np.stack([m(fastnn.tensor(xi)).numpy()[0] for xi in x])
    err = np.abs(got - want).max()
    assert 0 < err < 0.05 * np.abs(want).max() + 1e-3, (err, np.abs(want).max())


@pytest.mark.skipif(_build.CC is None, reason="no C compiler found")
@pytest.mark.parametrize("cin", [3, 120])  # k = 27: direct loop, exact float sums; k = 1080: im2col + int32 loop
def test_int8_conv_matches_numpy_reference(tmp_path, cin):
    """The C int8 Conv2d equals the scheme in NumPy (int32 sums of int8
    products, then scales), on both of its summation paths."""
    fastnn.manual_seed(5)
    conv = nn.Conv2d(cin, 5, 3, padding=1)
    rng = np.random.default_rng(1)
    calib = rng.standard_normal((8, cin, 5, 4)).astype(np.float32)
    x = rng.standard_normal((1, cin, 5, 4)).astype(np.float32)
    fastnn.export.to_c(conv, fastnn.tensor(x), str(tmp_path), quantize="int8", calibration=calib)
    got = _build.run(_build.build(str(tmp_path)), x.reshape(1, -1), 5 * 20)[0]
    w = conv.weight.detach().numpy().reshape(5, -1)
    wq, ws = quantize_weight(w)
    xs = np.float32(np.abs(calib).max() / 127)
    v = np.clip(x[0] / xs, -127, 127)
    xq = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int32)
    xp = np.pad(xq, ((0, 0), (1, 1), (1, 1)))
    col = np.stack([xp[:, i:i + 5, j:j + 4] for i in range(3) for j in range(3)], 1)
    acc = wq.astype(np.int32) @ col.reshape(-1, 20)  # rows (ci, ky, kx) as the weights
    want = acc * (xs * ws.reshape(-1, 1)) + conv.bias.detach().numpy().reshape(-1, 1)
    np.testing.assert_allclose(got, want.reshape(-1), rtol=1e-5, atol=1e-5)
