"""device=, size=, dtype=, requires_grad=, out= on every factory function (fastnn/_factory.py; the keywords in fastnn/_factory_kwargs.py)."""
import numpy as np
import pytest

import fastnn

x = fastnn.ones(2, 3)
# name -> (args, kwargs): calls valid in torch with the same spelling
CALLS = {
    "zeros": ((2, 3), {}), "ones": ((2, 3), {}), "empty": ((2, 3), {}), "randn": ((2, 3), {}),
    "rand": ((2, 3), {}), "full": (((2, 3), 1.5), {}), "eye": ((3,), {}),
    "randint": ((0, 5, (2, 3)), {}), "randperm": ((5,), {}), "arange": ((0, 5), {}),
    "linspace": ((0, 1, 5), {}), "logspace": ((0, 1, 5), {}), "zeros_like": ((x,), {}),
    "ones_like": ((x,), {}), "empty_like": ((x,), {}), "full_like": ((x, 2.0), {}),
    "randn_like": ((x,), {}), "rand_like": ((x,), {}), "randint_like": ((x, 5), {}),
    "tensor": (([1.0, 2.0],), {}), "as_tensor": (([1.0, 2.0],), {}),
    "normal": ((0.0, 1.0), {"size": (2, 3)}),
}
FLOAT = {"zeros", "ones", "empty", "randn", "rand", "full", "eye", "linspace", "logspace",
         "zeros_like", "ones_like", "empty_like", "full_like", "randn_like", "rand_like",
         "tensor", "normal", "arange"}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("device", ["cpu", fastnn.device("cpu")])
def test_device_accepted(name, device):
    args, kwargs = CALLS[name]
    t = getattr(fastnn, name)(*args, device=device, **kwargs)
    assert isinstance(t, fastnn.Tensor) and t.device == fastnn.device("cpu")


@pytest.mark.parametrize("name", sorted(FLOAT - {"tensor", "as_tensor"}))
def test_requires_grad_and_dtype(name):
    args, kwargs = CALLS[name]
    t = getattr(fastnn, name)(*args, dtype=fastnn.float64, requires_grad=True, **kwargs)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "randn", "rand"])
def test_size_keyword(name):
    fn = getattr(fastnn, name)
    assert fn(size=(2, 3)).shape == (2, 3) and fn(size=[4]).shape == (4,)
    with pytest.raises(TypeError, match="size"):
        fn(2, size=(2, 3))


def test_out():
    out = fastnn.empty(2, 2)
    assert fastnn.zeros(2, 2, out=out) is out and out.tolist() == [[0, 0], [0, 0]]
    assert fastnn.arange(5.0, out=out) is out and out.tolist() == [0, 1, 2, 3, 4]  # resized
    with pytest.raises(RuntimeError, match="dtype"):
        fastnn.zeros(2, out=fastnn.empty(2, dtype=fastnn.int64))
    with pytest.raises(TypeError, match="out"):
        fastnn.ones(2, out=np.empty(2))


def test_bad_device_and_layout():
    with pytest.raises(RuntimeError, match="device"):
        fastnn.zeros(2, device="tpu")
    with pytest.raises(ValueError, match="layout"):
        fastnn.zeros(2, layout="sparse_coo")
    assert fastnn.zeros(2, layout=None, pin_memory=False).shape == (2,)


def test_randint_forms():
    fastnn.manual_seed(0)
    assert fastnn.randint(10, (3,)).shape == (3,)
    assert fastnn.randint(10, size=(2, 2)).shape == (2, 2)
    t = fastnn.randint(3, 6, (100,))
    assert t.dtype == np.int64 and 3 <= t.min().item() and t.max().item() < 6


def test_normal_forms():
    fastnn.manual_seed(0)
    big = fastnn.normal(2.0, 3.0, size=(20000,))
    assert big.dtype == np.float32 and abs(big.mean().item() - 2) < 0.1
    assert abs(big.std().item() - 3) < 0.1
    m = fastnn.normal(fastnn.zeros(4, dtype=fastnn.float64), fastnn.ones(4, dtype=fastnn.float64))
    assert m.shape == (4,) and m.dtype == np.float64
    assert fastnn.normal(fastnn.zeros(2, 3), 1.0).shape == (2, 3)
    with pytest.raises(RuntimeError, match="std"):
        fastnn.normal(0.0, -1.0, size=(2,))


def test_as_tensor_shares():
    a = np.arange(3.0)
    t = fastnn.as_tensor(a)
    a[0] = 7
    assert t[0].item() == 7
    assert fastnn.as_tensor(t) is t


def test_matches_torch_dtypes_and_shapes():
    torch = pytest.importorskip("torch")
    for name, (args, kwargs) in CALLS.items():
        targs = tuple(torch.ones(2, 3) if a is x else a for a in args)
        f = getattr(fastnn, name)(*args, device="cpu", **kwargs)
        t = getattr(torch, name)(*targs, device="cpu", **kwargs)
        assert f.shape == tuple(t.shape), name
        assert str(f.dtype) == str(t.dtype).replace("torch.", ""), name
    for name in ("zeros", "ones", "empty", "randn", "rand"):
        assert getattr(fastnn, name)(size=(2, 3)).shape == tuple(getattr(torch, name)(size=(2, 3)).shape)
