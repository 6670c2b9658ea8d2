"""fastnn.nn.init: gains, fans, and each initialiser's distribution (generous tolerances)."""
import math
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.nn import init


def w(*shape, dtype=np.float32):
    return fastnn.zeros(*shape, dtype=dtype)


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError):
        init.calculate_gain("swish")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "a")


def test_fan_in_fan_out():
    assert init._calculate_fan_in_and_fan_out(w(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(w(8, 4, 3, 2)) == (24, 48)
    assert init._calculate_fan_in_and_fan_out(w(6, 2, 5)) == (10, 30)
    with pytest.raises(ValueError, match="fewer than 2"):
        init._calculate_fan_in_and_fan_out(w(4))
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_uniform_(w(3, 3), mode="fan_avg")


def test_fills_are_in_place_and_keep_dtype():
    t = w(3, 4, dtype=np.float64)
    arr = t._data
    assert init.constant_(t, 2.5) is t
    assert t._data is arr and t.dtype == np.float64 and np.all(arr == 2.5)
    init.zeros_(t)
    assert np.all(arr == 0)
    init.ones_(t)
    assert np.all(arr == 1)
    init.eye_(t)
    np.testing.assert_array_equal(arr, np.eye(3, 4))
    with pytest.raises(ValueError):
        init.eye_(w(2, 2, 2))
    with pytest.raises(TypeError):
        init.zeros_(np.zeros(3))


def test_uniform_and_normal_stats():
    fastnn.manual_seed(0)
    t = w(200, 100)
    init.uniform_(t, -2.0, 3.0)
    assert t._data.min() >= -2 and t._data.max() <= 3
    assert abs(t._data.mean() - 0.5) < 0.05
    assert abs(t._data.std() - 5 / math.sqrt(12)) < 0.05
    init.normal_(t, 1.0, 0.5)
    assert abs(t._data.mean() - 1.0) < 0.02 and abs(t._data.std() - 0.5) < 0.02


def test_xavier():
    fastnn.manual_seed(1)
    t = w(300, 200)
    init.xavier_uniform_(t, gain=2.0)
    a = 2.0 * math.sqrt(6 / 500)
    assert np.abs(t._data).max() <= a + 1e-6 and np.abs(t._data).max() > 0.98 * a
    assert abs(t._data.std() - a / math.sqrt(3)) < 0.03 * a
    init.xavier_normal_(t)
    assert abs(t._data.std() - math.sqrt(2 / 500)) < 0.03 * math.sqrt(2 / 500)


@pytest.mark.parametrize("mode, nonlinearity, a", [("fan_in", "leaky_relu", 0), ("fan_out", "relu", 0),
                                                   ("fan_in", "leaky_relu", math.sqrt(5))])
def test_kaiming(mode, nonlinearity, a):
    fastnn.manual_seed(2)
    t = w(64, 32, 3, 3)
    fan = 32 * 9 if mode == "fan_in" else 64 * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = math.sqrt(3) * std
    assert np.abs(t._data).max() <= bound * (1 + 1e-6)
    assert abs(t._data.std() - std) < 0.03 * std
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    assert abs(t._data.std() - std) < 0.03 * std and abs(t._data.mean()) < 0.03 * std


def test_kaiming_a_sqrt5_is_linears_bound():
    t = w(10, 49)
    init.kaiming_uniform_(t, a=math.sqrt(5))
    assert np.abs(t._data).max() <= 1 / 7 + 1e-7  # 1/sqrt(fan_in), PyTorch's Linear default


def test_zero_element_kaiming_warns_and_is_noop():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(w(0, 3))


def test_trunc_normal():
    fastnn.manual_seed(3)
    t = w(100, 100)
    init.trunc_normal_(t, mean=0.5, std=1.0, a=-0.5, b=1.0)
    assert t._data.min() >= -0.5 and t._data.max() <= 1.0
    # a window narrow compared with std is close to uniform: mean near its centre
    assert abs(t._data.mean() - 0.3) < 0.1
    init.trunc_normal_(t, std=0.02)
    assert np.abs(t._data).max() <= 2.0 and abs(t._data.std() - 0.02) < 0.002
    with pytest.raises(ValueError):
        init.trunc_normal_(t, a=1.0, b=-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        init.trunc_normal_(t, mean=10.0, std=0.1, a=-1.0, b=1.0)  # far tail still lands inside
    assert t._data.min() >= -1 and t._data.max() <= 1


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    fastnn.manual_seed(4)
    t = w(*shape, dtype=np.float64)
    init.orthogonal_(t, gain=2.0)
    m = t._data.reshape(shape[0], -1)
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-10)
    with pytest.raises(ValueError):
        init.orthogonal_(w(3))


def test_dirac_is_identity_kernel():
    t = w(4, 2, 3, 3)
    init.dirac_(t, groups=2)
    assert t._data.sum() == 4 and t._data[0, 0, 1, 1] == 1 and t._data[3, 1, 1, 1] == 1


def test_generator_and_seed_reproducible():
    a, b = w(50), w(50)
    init.normal_(a, generator=np.random.default_rng(7))
    init.normal_(b, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a._data, b._data)
    fastnn.manual_seed(9)
    init.uniform_(a)
    fastnn.manual_seed(9)
    init.uniform_(b)
    np.testing.assert_array_equal(a._data, b._data)
    init.uniform_(b)
    assert not np.array_equal(a._data, b._data)


def test_gains_match_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.3), ("selu", None), ("conv_transpose2d", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    for shape in [(3, 4), (2, 3, 4), (5, 4, 3, 2)]:
        assert init._calculate_fan_in_and_fan_out(w(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
