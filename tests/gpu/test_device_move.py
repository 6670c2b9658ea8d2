"""Device moves and same-device checks on 'CUDA' arrays, via the host emulation.

fastnn.cuda is pointed at host_cupy (a NumPy-backed CuPy stand-in reporting
one device), so the cpu <-> cuda paths of _device_move run without a GPU.
"""
import sys

import numpy as np
import pytest

import fastnn
import host_cupy
from fastnn import _device_move as dm
from fastnn.device import device


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", host_cupy)
    fastnn.cuda._reset_probe()
    yield host_cupy
    fastnn.cuda._reset_probe()


def test_cuda_reports_the_fake_device(fake_cuda):
    assert fastnn.cuda.is_available() and fastnn.cuda.device_count() == 1
    assert fastnn.cuda.current_device() == 0
    fastnn.cuda.synchronize()
    fastnn.cuda.synchronize("cuda:0")
    with pytest.raises(RuntimeError, match="invalid device ordinal 3"):
        fastnn.cuda.synchronize(3)


def test_move_round_trip(fake_cuda):
    a = np.arange(6.0).reshape(2, 3)
    g = dm.move_array(a, "cuda")
    assert dm.device_of(g) == device("cuda:0") and type(g) is host_cupy.ndarray
    assert dm.move_array(g, device("cuda:0")) is g
    back = dm.move_array(g, "cpu")
    assert type(back) is np.ndarray
    np.testing.assert_array_equal(back, a)
    assert dm.array_module(a, g) is host_cupy
    with pytest.raises(RuntimeError, match="only 1 CUDA device"):
        dm.move_array(a, "cuda:1")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy"):
        dm.to_numpy(g)


def test_check_same_device_message(fake_cuda):
    g = dm.move_array(np.zeros(2), "cuda:0")
    with pytest.raises(RuntimeError) as err:
        dm.check_same_device(g, np.zeros(2), op_name="matmul")
    assert str(err.value) == ("Expected all tensors to be on the same device, but found at least "
                              "two devices, cuda:0 and cpu! (in matmul)")
    assert dm.check_same_device(g, None, g) == device("cuda:0")
