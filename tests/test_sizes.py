"""Sizes checked before allocating (fastnn/_sizes.py): the bound, the messages, and
PyTorch's rules where an absurd size is really a wrong one (negative padding, arange
bounds). The absurd sizes of every allocating op are probed in a subprocess by
tests/test_robustness.py (family "sizes")."""
import itertools
import sys

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _sizes, nn


def test_bound_is_the_address_space_then_the_memory_available(monkeypatch):
    monkeypatch.setattr(_sizes, "available_bytes", lambda: 3 << 30)
    _sizes.check_bytes("op: arg=1", 1 << 30, "x")            # small: not even measured
    _sizes.check_bytes("op: arg=1", 3 << 30, "x")            # fits what is available
    with pytest.raises(MemoryError, match=r"op: arg=2: x would take 4.0 GiB .*3.0 GiB of memory "
                                          r"available now"):
        _sizes.check_bytes("op: arg=2", 4 << 30, "x")
    # a result in GPU memory: host memory says nothing about it
    _sizes.check_alloc("op: arg=5", (2 ** 40,), 4, like=type("FakeCupyArray", (), {})())
    with pytest.raises(MemoryError):
        _sizes.check_alloc("op: arg=5", (2 ** 40,), 4, like=np.zeros(1))
    monkeypatch.setattr(_sizes, "available_bytes", lambda: None)  # not Linux: only 2**48
    _sizes.check_bytes("op: arg=3", 2 ** 47, "x")
    with pytest.raises(MemoryError, match=r"op: arg=4: .*2\*\*48 bytes"):
        _sizes.check_bytes("op: arg=4", 2 ** 48 + 1, "x")


def test_small_requests_never_read_the_machine(monkeypatch):
    def boom():
        raise AssertionError("read /proc for a small request")
    monkeypatch.setattr(_sizes, "available_bytes", boom)
    fastnn.zeros(1000, 1000)
    nn.LSTM(8, 16, num_layers=3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/meminfo")
def test_available_bytes_on_linux():
    avail = _sizes.available_bytes()
    assert isinstance(avail, int) and 0 < avail < 2 ** 50


def test_messages_name_the_argument():
    x = fastnn.randn(1, 2, 4, 4)
    cases = [
        (lambda: F.interpolate(x, size=(10 ** 9, 10 ** 9)), MemoryError, "interpolate: size="),
        (lambda: F.adaptive_avg_pool2d(x, 10 ** 9), MemoryError, "adaptive_avg_pool2d: output_size="),
        (lambda: nn.LSTM(4, 4, num_layers=10 ** 9), MemoryError, "num_layers=1000000000"),
        (lambda: F.pad(x, (-10 ** 9, 0)), ValueError, "pad: negative padding"),
        (lambda: fastnn.zeros(10 ** 9, 10 ** 9), MemoryError, "zeros: size=(1000000000, 1000000000)"),
        (lambda: x.repeat(1, 1, 10 ** 9, 10 ** 9), MemoryError, "repeat: sizes="),
        (lambda: nn.Embedding(10 ** 12, 10 ** 3), MemoryError, "num_embeddings=1000000000000"),
    ]
    for fn, exc, text in cases:
        with pytest.raises(exc) as info:
            fn()
        assert text in str(info.value)


def test_pad_negative_widths_follow_torch():
    """PyTorch crops first: a dim's size plus its negative widths must stay >= 0 (so
    (-9, 1) on 8 raises although 8 - 9 + 1 = 0)."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    a = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    widths = (-6, -5, -3, -1, 0, 2)
    for lo, hi in itertools.product(widths, widths):
        for pad in ((lo, hi), (0, 0, lo, hi)):
            try:
                want = TF.pad(torch.from_numpy(a), pad).numpy()
            except RuntimeError:
                with pytest.raises(ValueError, match="negative padding"):
                    F.pad(fastnn.tensor(a), pad)
                continue
            got = F.pad(fastnn.tensor(a), pad).numpy()
            assert got.shape == want.shape, pad
            np.testing.assert_array_equal(got, want)


def test_pad_negative_gradient_is_the_crop():
    x = fastnn.randn(2, 6, requires_grad=True)
    F.pad(x, (-2, 1)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([[0, 0, 1, 1, 1, 1]] * 2, np.float32))


def test_arange_bounds_follow_torch():
    torch = pytest.importorskip("torch")
    for args in [(0, 10, -1), (0, -3), (5, 0, -2), (0, 0), (1.0, 2.5, 0.5), (0, 10, 3),
                 (2, 10 ** 6, 10 ** 5)]:
        try:
            want = torch.arange(*args).tolist()
        except RuntimeError:
            with pytest.raises(ValueError, match="arange"):
                fastnn.arange(*args)
            continue
        assert fastnn.arange(*args).tolist() == want
    with pytest.raises(ValueError, match="step must be nonzero"):
        fastnn.arange(0, 3, 0)
    with pytest.raises(ValueError, match="end must be finite"):
        fastnn.arange(0, float("inf"))


def test_interpolate_scale_factor_must_be_positive_and_finite():
    x = fastnn.randn(1, 1, 4, 4)
    for bad in (float("inf"), float("nan"), -2.0, 0.0):
        with pytest.raises(ValueError, match="scale_factor"):
            F.interpolate(x, scale_factor=bad)
    assert F.interpolate(x, scale_factor=2.0).shape == (1, 1, 8, 8)


def test_expand_stays_a_view_however_large():
    """PyTorch's expand allocates nothing, so a huge expand is legal; only a shape
    NumPy cannot index is refused."""
    y = fastnn.ones(1).expand(10 ** 12)
    assert y.shape == (10 ** 12,) and y._data.strides == (0,)
    with pytest.raises(ValueError, match="expand: sizes="):
        fastnn.ones(1).expand(2 ** 62)


def test_reasonable_sizes_still_build():
    assert nn.LSTM(3, 5, num_layers=4, bidirectional=True).weight_ih_l3.shape == (20, 10)
    assert nn.Linear(7, 3).weight.shape == (3, 7)
    assert fastnn.full((2, 3), 1.5).shape == (2, 3)
    assert fastnn.eye(3, 4).shape == (3, 4)
    assert fastnn.linspace(0, 1, 0).shape == (0,)
    assert fastnn.randperm(0).shape == (0,)
    assert fastnn.zeros(0, 10 ** 15).shape == (0, 10 ** 15)  # no elements, nothing to allocate
    assert fastnn.ones(2, 3).repeat(2, 0).shape == (4, 0)
