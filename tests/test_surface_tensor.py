"""Tensor surface PyTorch scripts touch first: 0-d results, in-place through
indexing, format specs, legacy constructors, is_<device> flags."""
import numpy as np
import pytest

import fastnn

torch = None
try:  # compared with PyTorch where installed
    import torch
except ImportError:
    pass


# --- 0-d tensors hold 0-d arrays ------------------------------------------------------
def test_zero_d_results_hold_arrays():
    v = fastnn.tensor([1.0, 2.0, 3.0])
    for t in (v[1], -fastnn.tensor(2.0), v.sum(), fastnn.tensor(1.5) * 2, fastnn.tensor(0.3).exp(),
              v[0] + v[1]):
        assert t.ndim == 0 and isinstance(t._data, np.ndarray)


def test_inplace_through_indexing():
    v = fastnn.zeros(3)
    v[1] += 1
    v[2] -= 2
    m = fastnn.zeros(2, 3)
    m[0][1] += 1
    m[1][2] *= 5
    m[1, 2] += 4
    t = fastnn.tensor(2.0)
    u = -t
    u += 1
    i = fastnn.tensor([1, 2, 3])
    i[0] += 10
    np.testing.assert_array_equal(v.numpy(), [0, 1, -2])
    np.testing.assert_array_equal(m.numpy(), [[0, 1, 0], [0, 0, 4]])
    assert u.item() == -1.0 and t.item() == 2.0
    assert i.tolist() == [11, 2, 3]


def test_inplace_through_indexing_autograd():
    w = fastnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = w * w
    y[1] += 5
    y[2] *= 3
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0, 18.0])
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] += 1
    s = fastnn.tensor(3.0, requires_grad=True)
    z = -s
    z += 1
    z *= z
    z.backward()  # d/ds (1 - s)^2 = -2 (1 - s)
    assert s.grad.item() == pytest.approx(4.0)


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_inplace_indexing_matches_torch():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = []
    for lib in (fastnn, torch):
        w = lib.tensor(data, requires_grad=True)
        y = w * 2
        y[1][2] += 3
        y[0, 1] *= 4
        (y ** 2).sum().backward()
        out.append((y.detach().numpy(), w.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])


# --- format specs -----------------------------------------------------------------------
def test_format_zero_d():
    x = fastnn.tensor(1.2345)
    assert f"{x:.2f}" == "1.23" and format(x, ".3e") == "1.235e+00"
    assert f"{fastnn.tensor(7):>4d}" == "   7"
    assert format(fastnn.tensor([1.0]), "") == str(fastnn.tensor([1.0]))
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{fastnn.tensor([1.0, 2.0]):.2f}"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{fastnn.tensor([1.0]):.2f}"  # one element but not 0-d, as torch


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_format_matches_torch():
    for v, spec in ((1.2345, ".2f"), (3e-5, ".3e"), (2.5, ""), (-1.0, "+.1f")):
        assert format(fastnn.tensor(v, dtype=fastnn.float64), spec) == \
            format(torch.tensor(v, dtype=torch.float64), spec)


# --- legacy constructors -----------------------------------------------------------------
def test_legacy_tensor_constructor():
    assert fastnn.Tensor(2, 3).shape == (2, 3) and fastnn.Tensor(2, 3).dtype == np.float32
    t = fastnn.Tensor([1, 2])
    assert t.dtype == np.float32 and t.tolist() == [1.0, 2.0]
    assert fastnn.Tensor().shape == (0,) and fastnn.Tensor().dtype == np.float32
    assert fastnn.Tensor(np.array([1, 2])).dtype == np.float32
    assert fastnn.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, as torch
    assert fastnn.Tensor([True, False]).tolist() == [1.0, 0.0]
    with pytest.raises(TypeError, match="sequence"):
        fastnn.Tensor(3.5)
    with pytest.raises(RuntimeError, match="negative dimension"):
        fastnn.Tensor(-1)
    fastnn.set_default_dtype(fastnn.float64)
    try:
        assert fastnn.Tensor([1, 2]).dtype == np.float64
    finally:
        fastnn.set_default_dtype(fastnn.float32)
    # fastnn.tensor infers, and copies
    src = fastnn.tensor([1, 2])
    assert src.dtype == np.int64
    c = fastnn.tensor(src)
    c[0] = 5
    assert src.tolist() == [1, 2]


def test_legacy_typed_constructors():
    assert fastnn.FloatTensor(2).shape == (2,) and fastnn.FloatTensor(2).dtype == np.float32
    assert fastnn.LongTensor([1.7, 2]).tolist() == [1, 2]
    assert fastnn.DoubleTensor([1]).dtype == np.float64
    assert fastnn.IntTensor([1]).dtype == np.int32
    assert fastnn.BoolTensor([1, 0]).tolist() == [True, False]
    assert fastnn.ByteTensor([1, 2]).dtype == np.uint8
    assert type(fastnn.FloatTensor([1])) is fastnn.Tensor
    assert isinstance(fastnn.randn(2), fastnn.FloatTensor)
    assert not isinstance(fastnn.randn(2).double(), fastnn.FloatTensor)
    assert isinstance(fastnn.zeros(2, dtype=fastnn.int64), fastnn.LongTensor)
    assert not isinstance(np.zeros(2, np.float32), fastnn.FloatTensor)
    assert fastnn.randn(2).type(fastnn.DoubleTensor).dtype == np.float64
    assert fastnn.randn(2).type("torch.LongTensor").dtype == np.int64
    assert fastnn.randn(2).type() == "fastnn.FloatTensor"


@pytest.mark.skipif(torch is None, reason="torch not installed")
def test_legacy_matches_torch():
    for args in ((2, 3), ([1, 2],), ([[1.5, 2], [3, 4]],), ()):
        f, t = fastnn.Tensor(*args), torch.Tensor(*args)
        assert f.shape == tuple(t.shape) and str(f.dtype) == str(t.dtype).replace("torch.", "")
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
                 "ByteTensor"):
        f, t = getattr(fastnn, name)([0, 1, 2]), getattr(torch, name)([0, 1, 2])
        assert f.tolist() == t.tolist() and str(f.dtype) == str(t.dtype).replace("torch.", "")


# --- device flags ---------------------------------------------------------------------------
def test_device_flags():
    t = fastnn.zeros(2)
    assert t.is_cpu and not t.is_cuda
    for flag in ("is_xpu", "is_mps", "is_xla", "is_meta", "is_quantized", "is_sparse"):
        assert getattr(t, flag) is False
