"""fastnn.device, fastnn.cuda and the array device helpers, without a GPU."""
import pickle
import sys
import types

import numpy as np
import pytest

import fastnn
from fastnn import _device_move as dm
from fastnn.device import device


def test_device_parsing_equality_repr():
    assert device("cuda:1").type == "cuda" and device("cuda:1").index == 1
    assert device("cpu").index is None and device("cuda").index is None
    assert device("cuda", 2) == device("cuda:2") == device(2) == "cuda:2"
    assert device("cuda") != device("cuda:0")
    assert device(device("cuda:3")) == device("cuda:3")
    assert repr(device("cuda:0")) == "device(type='cuda', index=0)"
    assert repr(device("cpu")) == "device(type='cpu')"
    assert str(device("cuda:0")) == "cuda:0" and str(device("cpu")) == "cpu"
    assert len({device("cuda:0"), device("cuda", 0), device("cpu")}) == 2
    assert pickle.loads(pickle.dumps(device("cuda:1"))) == device("cuda:1")
    assert device("cpu") != 3 and device("cpu") != "nonsense"


@pytest.mark.parametrize("bad,exc", [("gpu", RuntimeError), ("cuda:x", RuntimeError),
                                     ("cuda:-1", RuntimeError), (1.5, TypeError),
                                     ("cpu:1", RuntimeError)])
def test_device_rejects(bad, exc):
    with pytest.raises(exc):
        device(bad)
    with pytest.raises(RuntimeError):
        device("cuda:0", 1)


@pytest.fixture
def fresh_probe(monkeypatch):
    fastnn.cuda._reset_probe()
    yield monkeypatch
    fastnn.cuda._reset_probe()


def test_cuda_unavailable_without_cupy(fresh_probe):
    fresh_probe.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    assert fastnn.cuda.is_available() is False
    assert fastnn.cuda.device_count() == 0
    assert "CuPy is not installed (pip install fastnn[gpu])" in fastnn.cuda.unavailable_reason()
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        fastnn.cuda.synchronize()
    with pytest.raises(RuntimeError, match=r"cuda:0 .*CuPy is not installed"):
        dm.move_array(np.zeros(3), "cuda:0")


def test_cuda_unavailable_without_driver(fresh_probe):
    def no_driver():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake = types.ModuleType("cupy")
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_driver))
    fresh_probe.setitem(sys.modules, "cupy", fake)
    assert not fastnn.cuda.is_available()
    reason = fastnn.cuda.unavailable_reason()
    assert reason.startswith("CuPy is installed but no CUDA GPU/driver was found")
    assert "no CUDA-capable device" in reason
    with pytest.raises(RuntimeError, match="no CUDA GPU/driver"):
        fastnn.cuda.current_device()


def test_cpu_helpers():
    a = np.arange(4.0)
    assert dm.device_of(a) == device("cpu")
    assert dm.move_array(a, "cpu") is a and dm.move_array(a, None) is a
    assert dm.check_same_device(a, None, 3.0, a.T) == device("cpu")
    assert dm.array_module(a, 1.0) is np
    assert dm.to_numpy(a) is a
    assert dm.as_device("cuda:1") == device("cuda", 1)
