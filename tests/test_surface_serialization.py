"""save/load of whole objects, file objects, NumPy arrays and the weights_only
allowlist (fastnn/io.py, fastnn/serialization.py)."""
import collections
import io
import json
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import nn
from fastnn.serialization import add_safe_globals, clear_safe_globals, safe_globals


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 2)
        self.register_buffer("steps", fastnn.zeros(1))
        self.tied = self.fc1.weight   # the same Parameter twice
        self.note = {"kind": "mlp", "sizes": (4, 8, 2), "tags": {"a", "b"}}

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Box:
    def __init__(self, value):
        self.value = value
        self.me = self  # a cycle through the state


def _x():
    return fastnn.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))


def _saved(obj):
    buf = io.BytesIO()
    fastnn.save(obj, buf)
    return buf.getvalue()


def test_whole_module_round_trip(tmp_path):
    fastnn.manual_seed(0)
    m = Net()
    path = tmp_path / "model.pt"
    fastnn.save(m, path)
    m2 = fastnn.load(path, weights_only=False)
    assert type(m2) is Net and type(m2.fc1) is nn.Linear
    assert m2.tied is m2.fc1.weight and isinstance(m2.fc1.weight, nn.Parameter)
    assert m2.fc1.weight.requires_grad
    assert m2.note == m.note and type(m2.note["tags"]) is set
    np.testing.assert_array_equal(m2(_x()).detach().numpy(), m(_x()).detach().numpy())
    assert list(m2.state_dict()) == list(m.state_dict())
    # the loaded model trains
    m2(_x()).sum().backward()
    assert m2.fc1.weight.grad is not None


def test_weights_only_default_refuses_classes():
    data = _saved(Net())
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False") as info:
        fastnn.load(io.BytesIO(data))
    assert "safe_globals" in str(info.value) and "Net" in str(info.value)
    assert fastnn.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == sorted([
        f"{__name__}.Net", "fastnn.nn.modules.activation.ReLU", "fastnn.nn.modules.linear.Linear"])
    # allowing only some of the names is not enough
    with safe_globals([Net]), pytest.raises(pickle.UnpicklingError, match="Linear"):
        fastnn.load(io.BytesIO(data))
    with safe_globals([Net, nn.Linear, nn.ReLU]):
        assert type(fastnn.load(io.BytesIO(data))) is Net
    with pytest.raises(pickle.UnpicklingError):  # the block's allowlist is gone
        fastnn.load(io.BytesIO(data))
    add_safe_globals([Net, nn.Linear, (nn.ReLU, "fastnn.nn.modules.activation.ReLU")])
    try:
        assert type(fastnn.load(io.BytesIO(data))) is Net
        assert Net in fastnn.serialization.get_safe_globals()
    finally:
        clear_safe_globals()


def test_weights_only_reads_data_structures():
    ckpt = {"epoch": 3, "model": Net().state_dict(), "hist": [0.5, 0.25],
            "od": collections.OrderedDict(a=1), "arr": np.arange(3), "t": fastnn.ones(2),
            "s": {1, 2}, "pair": (1, "x")}
    back = fastnn.load(io.BytesIO(_saved(ckpt)))  # weights_only=True by default
    assert back["epoch"] == 3 and back["hist"] == [0.5, 0.25] and back["pair"] == (1, "x")
    assert type(back["od"]) is collections.OrderedDict and back["s"] == {1, 2}
    assert isinstance(back["arr"], np.ndarray) and back["arr"].tolist() == [0, 1, 2]
    assert isinstance(back["t"], fastnn.Tensor)
    assert set(back["model"]) == set(ckpt["model"])


def test_numpy_array_loads_as_numpy(tmp_path):
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    fastnn.save(a, tmp_path / "a")
    back = fastnn.load(tmp_path / "a")
    assert type(back) is np.ndarray and back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)
    fastnn.save({"w": a, "t": fastnn.tensor(a)}, tmp_path / "sd")
    sd = fastnn.load(tmp_path / "sd")
    assert type(sd["w"]) is np.ndarray and isinstance(sd["t"], fastnn.Tensor)


def test_file_objects(tmp_path):
    t = fastnn.arange(5)
    with open(tmp_path / "f.pt", "wb") as f:
        fastnn.save({"t": t}, f)
        fastnn.save([1, 2], f)  # two objects in one stream, read back in order
    with open(tmp_path / "f.pt", "rb") as f:
        first = fastnn.load(f)
        second = fastnn.load(f)
    assert first["t"].tolist() == [0, 1, 2, 3, 4] and second == [1, 2]
    with open(tmp_path / "f.pt", "r") as f, pytest.raises((TypeError, ValueError, UnicodeError)):
        fastnn.load(f)


def test_tensor_requires_grad_and_shared_objects():
    w = fastnn.ones(2, requires_grad=True)
    b = Box(w)
    back = fastnn.load(io.BytesIO(_saved({"b": b, "again": b, "w": w})), weights_only=False)
    assert back["b"] is back["again"] and back["b"].me is back["b"]
    assert back["b"].value is back["w"] and back["w"].requires_grad


def test_unstorable_objects_raise_type_error():
    with pytest.raises(TypeError, match="lambda|importable"):
        fastnn.save({"f": lambda x: x}, io.BytesIO())

    class Local:
        pass
    with pytest.raises(TypeError, match="importable"):
        fastnn.save(Local(), io.BytesIO())


def test_state_dict_stays_plain_safetensors():
    data = _saved(Net().state_dict())
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    assert "__metadata__" not in header and "fc1.weight" in header


def test_malformed_object_nodes_raise_value_error(tmp_path):
    for node in ({"o": {"f": "builtins:set"}}, {"r": 7}, {"g": 5}, {"o": {"id": 0}}):
        meta = {"fastnn.structure": json.dumps(node)}
        header = json.dumps({"__metadata__": meta}).encode()
        header += b" " * (-len(header) % 8)
        raw = len(header).to_bytes(8, "little") + header
        with pytest.raises(ValueError):
            fastnn.load(io.BytesIO(raw), weights_only=False)


def test_map_location_forms():
    data = _saved({"w": fastnn.ones(2)})
    for loc in (None, "cpu", fastnn.device("cpu"), lambda s, l: s, {"cuda:0": "cpu"}):
        assert fastnn.load(io.BytesIO(data), map_location=loc)["w"].tolist() == [1.0, 1.0]


def test_torch_agrees_on_the_rules(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(np.arange(3), tmp_path / "np.pt")
    assert type(torch.load(tmp_path / "np.pt", weights_only=False)) is np.ndarray
    torch.save(Box(1), tmp_path / "box.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights_only"):
        torch.load(tmp_path / "box.pt")
    with torch.serialization.safe_globals([Box]):
        assert torch.load(tmp_path / "box.pt").value == 1
    with safe_globals([Box]):
        assert fastnn.load(io.BytesIO(_saved(Box(1)))).value == 1


def test_sparse_tensor_round_trip():
    s = fastnn.sparse_coo_tensor([[0, 1, 1], [2, 0, 0]], [1.0, 2.0, 3.0], (2, 3))
    back = fastnn.load(io.BytesIO(_saved({"adj": s})))  # data only: allowed by weights_only
    assert back["adj"].is_sparse and back["adj"].shape == (2, 3)
    np.testing.assert_array_equal(back["adj"].to_dense().numpy(), s.to_dense().numpy())


def test_allowed_class_with_bad_state_raises_value_error():
    node = {"o": {"new": {"g": "builtins:object"}, "a": {"tu": []}, "id": 0,
                  "s": {"d": [["x", {"v": 1}]]}}}
    meta = {"fastnn.structure": json.dumps(node)}
    header = json.dumps({"__metadata__": meta}).encode()
    header += b" " * (-len(header) % 8)
    with pytest.raises(ValueError, match="malformed object"):
        fastnn.load(io.BytesIO(len(header).to_bytes(8, "little") + header))
