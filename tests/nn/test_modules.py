"""fastnn.nn Modules: registration, names, state_dict, modes, dtype moves, repr, layers.

Tests that run a forward pass need fastnn.nn.functional; those comparing with
PyTorch need torch (both skipped when absent).
"""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.nn import Parameter


def _functional():
    try:
        import fastnn.nn.functional as F
    except ImportError as exc:  # pragma: no cover - until functional lands
        pytest.skip(f"fastnn.nn.functional not importable: {exc}")
    return F


@pytest.fixture
def F():
    return _functional()


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def t(a, dtype=np.float32):
    return fastnn.tensor(np.asarray(a, dtype=dtype))


# --- Parameter ---------------------------------------------------------------------
def test_parameter_basics():
    p = Parameter(fastnn.zeros(2, 3))
    assert isinstance(p, fastnn.Tensor)
    assert p.requires_grad and p.is_leaf
    assert p.shape == (2, 3) and p.dtype == np.float32
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not Parameter(fastnn.zeros(1), requires_grad=False).requires_grad
    src = fastnn.ones(3)
    shared = Parameter(src)
    shared._data[0] = 5.0
    assert src._data[0] == 5.0  # built from a Tensor: shares its array
    assert Parameter().shape == (0,)


def test_parameter_deepcopy_and_pickle():
    p = Parameter(fastnn.tensor([1.0, 2.0]))
    q = copy.deepcopy(p)
    assert isinstance(q, Parameter) and q.requires_grad
    q._data[0] = 9
    assert p._data[0] == 1.0
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, Parameter) and np.array_equal(r._data, p._data)


# --- registration and names --------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = Parameter(fastnn.ones(3))
        self.fc = nn.Linear(3, 2)
        self.register_buffer("count", fastnn.zeros(1))
        self.register_buffer("scratch", fastnn.zeros(2), persistent=False)
        self.plain = 7

    def forward(self, x):
        return self.fc(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1, bias=False)])
        self.head = nn.Sequential(OrderedDict([("bn", nn.BatchNorm1d(1)), ("act", nn.ReLU())]))


def test_named_parameters_and_buffers():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "block.scale", "block.fc.weight", "block.fc.bias", "layers.0.weight", "layers.0.bias",
        "layers.1.weight", "head.bn.weight", "head.bn.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "block.count", "block.scratch", "head.bn.running_mean", "head.bn.running_var",
        "head.bn.num_batches_tracked"]
    assert len(list(net.parameters())) == 8
    assert list(net.block.parameters(recurse=False)) == [net.block.scale]
    assert [n for n, _ in net.named_children()] == ["block", "layers", "head"]
    assert [n for n, _ in net.named_modules()] == [
        "", "block", "block.fc", "layers", "layers.0", "layers.1", "head", "head.bn", "head.act"]
    assert len(list(net.modules())) == 9
    assert net.block.plain == 7 and "plain" not in net.block._parameters
    assert net.get_submodule("head.bn") is net.head.bn
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.block.scale"


def test_state_dict_keys_persistent_buffers_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "block.scale", "block.count", "block.fc.weight", "block.fc.bias", "layers.0.weight",
        "layers.0.bias", "layers.1.weight", "head.bn.weight", "head.bn.bias",
        "head.bn.running_mean", "head.bn.running_var", "head.bn.num_batches_tracked"]
    # detached views of the module's arrays (PyTorch's state_dict shares storage)
    assert not isinstance(sd["block.scale"], Parameter) and not sd["block.scale"].requires_grad
    assert np.shares_memory(sd["block.fc.weight"]._data, net.block.fc.weight._data)
    assert net.state_dict(keep_vars=True)["block.scale"] is net.block.scale


def test_shared_parameter_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_setattr_rules():
    m = Block()
    with pytest.raises(TypeError, match="scale"):
        m.scale = fastnn.ones(3)  # a plain Tensor cannot replace a Parameter
    m.scale = None
    assert "scale" in m._parameters and m.scale is None
    assert [n for n, _ in m.named_parameters()] == ["fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="count"):
        m.count = np.zeros(1)
    m.count = fastnn.ones(1)
    assert m.state_dict()["count"]._data[0] == 1
    m.fc = nn.Identity()  # replacing a child keeps its slot
    assert list(m._modules) == ["fc"]
    del m.fc
    assert not hasattr(m, "fc")
    with pytest.raises(KeyError):
        m.register_buffer("a.b", None)
    with pytest.raises(KeyError):
        m.register_parameter("plain", Parameter(fastnn.zeros(1)))
    with pytest.raises(TypeError):
        m.register_parameter("w", fastnn.zeros(1))
    with pytest.raises(AttributeError, match="nope"):
        m.nope

    class NoInit(nn.Module):
        def __init__(self):
            self.w = Parameter(fastnn.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        NoInit()


def test_reassigning_parameter_to_module_slot():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = Parameter(fastnn.zeros(1))  # moves from _modules to _parameters
    assert "x" not in m._modules and m._parameters["x"] is m.x


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


# --- load_state_dict ---------------------------------------------------------------
def test_load_state_dict_numpy_and_tensor_copy_in_place():
    m = nn.Linear(3, 2)
    w_obj = m.weight
    new = {"weight": np.arange(6, dtype=np.float64).reshape(2, 3), "bias": fastnn.tensor([1., 2.])}
    res = m.load_state_dict(new)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    assert m.weight is w_obj and m.weight.dtype == np.float32
    np.testing.assert_array_equal(m.weight._data, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(m.bias._data, [1, 2])
    new["bias"]._data[0] = 100  # values were copied, not aliased
    assert m.bias._data[0] == 1


def test_load_state_dict_strict_errors():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    sd = m.state_dict()
    good = {k: v._data.copy() for k, v in sd.items()}

    missing = dict(good)
    del missing["0.bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0.bias"'):
        m.load_state_dict(missing)

    extra = dict(good, **{"0.foo": np.zeros(1), "2.weight": np.zeros(1)})
    with pytest.raises(RuntimeError) as exc:
        m.load_state_dict(extra)
    # PyTorch's order: the root's unknown keys first, then each child's
    assert 'Unexpected key(s) in state_dict: "2.weight", "0.foo"' in str(exc.value)
    assert "Sequential" in str(exc.value)

    res = m.load_state_dict(dict(missing, **{"0.foo": np.zeros(1)}), strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["0.foo"]
    assert res == (["0.bias"], ["0.foo"])

    wrong = dict(good, **{"0.weight": np.zeros((3, 3))})
    before = m[0].weight._data.copy()
    for strict in (True, False):  # a shape mismatch is an error even when not strict
        with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight.*\(3, 3\).*\(2, 3\)"):
            m.load_state_dict(wrong, strict=strict)
    np.testing.assert_array_equal(m[0].weight._data, before)
    with pytest.raises(TypeError):
        m.load_state_dict([1, 2])


def test_batchnorm_state_dict_without_num_batches_tracked_loads():
    bn = nn.BatchNorm2d(3)
    sd = {k: v._data.copy() for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []


def test_state_dict_roundtrip_between_models():
    fastnn.manual_seed(0)
    a = Net()
    b = Net()
    b.load_state_dict(a.state_dict())
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va._data, vb._data)


# --- modes, grads, dtype ------------------------------------------------------------
def test_train_eval_flags_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not net.head.bn.training
    with pytest.raises(ValueError):
        net.train("yes")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(2, 2)
    for p in m.parameters():
        p.grad = fastnn.ones(*p.shape)
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad._data == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_float64_and_back():
    net = Net()
    w = net.block.fc.weight
    w.grad = fastnn.ones(*w.shape)
    assert net.to(fastnn.float64) is net
    assert net.block.fc.weight is w  # same Parameter object, new array
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert w.grad.dtype == np.float64
    assert net.head.bn.running_var.dtype == np.float64
    assert net.head.bn.num_batches_tracked.dtype == np.int64  # integers keep their dtype
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    net.double()
    assert net.block.count.dtype == np.float64
    net.to(dtype=np.float32, device="cpu")
    net.to("cpu", fastnn.float32)
    assert net.block.scale.dtype == np.float32
    net.to(fastnn.zeros(1, dtype=fastnn.float64))
    assert net.block.scale.dtype == np.float64
    net.to(fastnn.zeros(1).device)  # whatever device object a Tensor reports
    from fastnn.device import device
    net.to(device("cpu"), fastnn.float32)
    assert net.block.scale.dtype == np.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(fastnn.int64)
    with pytest.raises(ValueError, match="device"):
        net.to("tpu")


def test_apply_and_hooks():
    net = Net()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"

    ident = nn.Identity()
    calls = []
    h = ident.register_forward_hook(lambda m, inp, out: calls.append((inp, out)))
    hp = ident.register_forward_pre_hook(lambda m, inp: (inp[0] + 1,))
    assert ident(1) == 2 and calls == [((2,), 2)]
    h.remove()
    hp.remove()
    assert ident(1) == 1 and len(calls) == 1
    with ident.register_forward_hook(lambda m, i, o: o * 10):
        assert ident(3) == 30
    assert ident(3) == 3


def test_module_deepcopy_and_pickle():
    fastnn.manual_seed(1)
    net = Net()
    clone = copy.deepcopy(net)
    assert list(clone.state_dict()) == list(net.state_dict())
    clone.block.fc.weight._data[...] = 0
    assert np.any(net.block.fc.weight._data != 0)
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.block.fc.weight._data, net.block.fc.weight._data)
    assert isinstance(again.block.fc.weight, Parameter)


# --- containers ---------------------------------------------------------------------
def test_sequential_container():
    a, b, c = nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError):
        s[3]
    s.append(nn.Tanh())
    assert list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and s[1] is c
    s[0] = nn.Identity()
    assert isinstance(s[0], nn.Identity)
    s.insert(0, nn.Sigmoid())
    assert isinstance(s[0], nn.Sigmoid) and s[2] is c
    named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["conv.weight", "conv.bias"]
    assert named.conv is named[0]
    assert len(nn.Sequential(a) + nn.Sequential(b)) == 2
    assert nn.Sequential()(5) == 5  # empty Sequential is the identity


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    assert len(ml) == 4 and isinstance(ml[-1], nn.Sigmoid)
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"] and isinstance(ml[0], nn.ReLU)
    ml.insert(1, nn.Identity())
    assert isinstance(ml[1], nn.Identity) and isinstance(ml[2], nn.Tanh)
    with pytest.raises(TypeError):
        ml.append(3)
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b", "c"]
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    assert isinstance(md.pop("b"), nn.ReLU) and "b" not in md


# --- repr -----------------------------------------------------------------------------
REPRS = [
    (lambda: nn.Linear(4, 2), "Linear(in_features=4, out_features=2, bias=True)"),
    (lambda: nn.Linear(4, 2, bias=False), "Linear(in_features=4, out_features=2, bias=False)"),
    (lambda: nn.Conv1d(2, 3, 3), "Conv1d(2, 3, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.Conv2d(3, 8, (3, 5), padding="same", bias=False),
     "Conv2d(3, 8, kernel_size=(3, 5), stride=(1, 1), padding=same, bias=False)"),
    (lambda: nn.Conv2d(4, 8, 3, stride=2, padding=1, dilation=2, groups=2),
     "Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2)"),
    (lambda: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: nn.AvgPool2d(3, 2, 1), "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
    (lambda: nn.AdaptiveAvgPool2d((1, 1)), "AdaptiveAvgPool2d(output_size=(1, 1))"),
    (lambda: nn.BatchNorm2d(4, momentum=None, affine=False),
     "BatchNorm2d(4, eps=1e-05, momentum=None, affine=False, bias=False, track_running_stats=True)"),
    (lambda: nn.BatchNorm1d(3),
     "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (lambda: nn.LayerNorm(4), "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"),
    (lambda: nn.Dropout(), "Dropout(p=0.5, inplace=False)"),
    (lambda: nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)"),
    (lambda: nn.Unflatten(1, (2, 3)), "Unflatten(dim=1, unflattened_size=(2, 3))"),
    (lambda: nn.Identity(), "Identity()"),
    (lambda: nn.Embedding(10, 3, padding_idx=0), "Embedding(10, 3, padding_idx=0)"),
    (lambda: nn.ReLU(), "ReLU()"),
    (lambda: nn.ReLU(True), "ReLU(inplace=True)"),
    (lambda: nn.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"),
    (lambda: nn.GELU(), "GELU(approximate='none')"),
    (lambda: nn.Sigmoid(), "Sigmoid()"),
    (lambda: nn.Tanh(), "Tanh()"),
    (lambda: nn.Softmax(dim=1), "Softmax(dim=1)"),
    (lambda: nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    (lambda: nn.ELU(), "ELU(alpha=1.0)"),
    (lambda: nn.SiLU(), "SiLU()"),
    (lambda: nn.CrossEntropyLoss(), "CrossEntropyLoss()"),
    (lambda: nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss()"),
    (lambda: nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 2))),
     "Sequential(\n  (0): Linear(in_features=1, out_features=2, bias=True)\n  (1): Sequential(\n"
     "    (0): ReLU()\n    (1): Linear(in_features=2, out_features=2, bias=True)\n  )\n)"),
    (lambda: nn.ModuleList([nn.Linear(1, 1) for _ in range(3)] + [nn.ReLU()]),
     "ModuleList(\n  (0-2): 3 x Linear(in_features=1, out_features=1, bias=True)\n  (3): ReLU()\n)"),
    (lambda: nn.ModuleDict({"a": nn.ReLU()}), "ModuleDict(\n  (a): ReLU()\n)"),
    (lambda: nn.ModuleList(), "ModuleList()"),
]


@pytest.mark.parametrize("make, expected", REPRS, ids=[e.split("(")[0] + str(i)
                                                        for i, (_, e) in enumerate(REPRS)])
def test_repr_matches_pytorch_layout(make, expected):
    assert repr(make()) == expected


def test_repr_identical_to_torch(torch):
    cases = [("Conv2d", (3, 8, 3), {}),
             ("Conv2d", (3, 8, (2, 4)), {"padding": "same", "dilation": (1, 2)}),
             ("Conv2d", (2, 2, 3), {"padding": 1, "padding_mode": "reflect"}),
             ("Conv1d", (2, 4, 5), {"stride": 2, "padding": 2, "bias": False}),
             ("MaxPool2d", ((2, 3), 1, 1), {}), ("AvgPool2d", (2,), {"ceil_mode": True}),
             ("Embedding", (7, 2), {"max_norm": 1.0, "norm_type": 1.0}),
             ("LayerNorm", ([3, 4],), {"bias": False}), ("Softmax", (), {}),
             ("Dropout", (0.2, True), {}), ("LeakyReLU", (), {}), ("GELU", ("tanh",), {}),
             ("BatchNorm1d", (5, 1e-3, 0.2), {}), ("ELU", (0.5, True), {}),
             ("SiLU", (True,), {}), ("Unflatten", (-1, (2, 2)), {}),
             ("Bilinear", (2, 3, 4), {"bias": False}), ("MaxPool1d", (3, 2, 1), {}),
             ("Hardtanh", (-2, 2, True), {}), ("ReLU6", (True,), {}), ("SELU", (), {}),
             ("Softplus", (2, 10), {}), ("Mish", (True,), {}), ("Softmin", (1,), {}),
             ("HuberLoss", (), {}), ("KLDivLoss", (), {}), ("LogSigmoid", (), {})]
    for name, args, kwargs in cases:
        ours = repr(getattr(nn, name)(*args, **kwargs))
        theirs = repr(getattr(torch.nn, name)(*args, **kwargs))
        assert ours == theirs


# --- construction and default initialisation ------------------------------------------
def test_layer_parameter_shapes_and_dtype():
    assert nn.Linear(5, 3).weight.shape == (3, 5)
    c = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert c.weight.shape == (6, 2, 3, 2) and c.bias.shape == (6,)
    assert nn.Conv1d(2, 4, 3).weight.shape == (4, 2, 3)
    assert all(p.dtype == np.float32 for p in nn.Conv2d(1, 1, 1).parameters())
    assert nn.Linear(2, 2, dtype=fastnn.float64).weight.dtype == np.float64
    with pytest.raises(ValueError, match="divisible"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_linear_and_conv_default_init_bounds_and_seed():
    fastnn.manual_seed(123)
    lin = nn.Linear(100, 50)
    bound = 1 / np.sqrt(100)
    w = lin.weight._data
    assert np.abs(w).max() <= bound and np.abs(lin.bias._data).max() <= bound
    # U(-b, b): mean 0, std b/sqrt(3)
    assert abs(w.mean()) < 0.05 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(w).max() > 0.95 * bound
    conv = nn.Conv2d(8, 16, 3)
    cb = 1 / np.sqrt(8 * 9)
    assert np.abs(conv.weight._data).max() <= cb and np.abs(conv.weight._data).max() > 0.9 * cb
    assert np.abs(conv.bias._data).max() <= cb
    fastnn.manual_seed(123)
    np.testing.assert_array_equal(nn.Linear(100, 50).weight._data, w)


def test_norm_and_embedding_init():
    bn = nn.BatchNorm2d(3)
    np.testing.assert_array_equal(bn.weight._data, np.ones(3))
    np.testing.assert_array_equal(bn.bias._data, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var._data, np.ones(3))
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    nb = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(nb.parameters()) == [] and list(nb.state_dict()) == []
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.shape == (2, 3)
    fastnn.manual_seed(0)
    e = nn.Embedding(400, 50, padding_idx=-1)
    assert e.padding_idx == 399
    np.testing.assert_array_equal(e.weight._data[399], 0)
    vals = e.weight._data[:399]
    assert abs(vals.mean()) < 0.02 and abs(vals.std() - 1) < 0.02
    with pytest.raises(AssertionError):
        nn.Embedding(3, 2, padding_idx=3)
    pre = nn.Embedding.from_pretrained(fastnn.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert pre.num_embeddings == 2 and not pre.weight.requires_grad
    assert nn.Embedding.from_pretrained(np.eye(3, dtype=np.float32), freeze=False).weight.requires_grad


def test_loss_constructor_arguments():
    w = fastnn.tensor([1.0, 2.0])
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=3, label_smoothing=0.1, reduction="sum")
    assert ce.weight is w and ce.ignore_index == 3 and ce.reduction == "sum"
    assert list(ce.state_dict()) == ["weight"]  # weight is a buffer, as in PyTorch
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    assert nn.SmoothL1Loss(beta=0.5).beta == 0.5
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError):
        nn.L1Loss(reduction="avg")
    with pytest.raises(TypeError):
        nn.NLLLoss(weight=np.ones(2))


# --- forward passes (need fastnn.nn.functional) ---------------------------------------
def test_dropout_train_vs_eval(F):
    fastnn.manual_seed(0)
    d = nn.Dropout(0.5)
    x = fastnn.ones(200, 50)
    y = d(x)._data
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6
    d.eval()
    np.testing.assert_array_equal(d(x)._data, x._data)


def test_batchnorm_running_stats_train_eval(F):
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3)
    xs = [rng.normal(2.0, 3.0, size=(4, 3, 5, 5)).astype(np.float32) for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for x in xs:
        y = bn(t(x))._data
        m = x.mean(axis=(0, 2, 3))
        v = x.var(axis=(0, 2, 3))
        np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-4)
        rm = 0.9 * rm + 0.1 * m
        rv = 0.9 * rv + 0.1 * v * x.size / 3 / (x.size / 3 - 1)  # unbiased in the running var
    assert int(bn.num_batches_tracked._data) == 3
    np.testing.assert_allclose(bn.running_mean._data, rm, rtol=1e-4)
    np.testing.assert_allclose(bn.running_var._data, rv, rtol=1e-4)
    bn.eval()
    x = xs[0]
    y = bn(t(x))._data
    want = (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)
    assert int(bn.num_batches_tracked._data) == 3  # eval leaves the statistics alone
    with pytest.raises(ValueError, match="4D"):
        bn(t(np.zeros((2, 3))))


def test_batchnorm_cumulative_average(F):
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [rng.normal(i, 1.0, size=(8, 2)).astype(np.float32) for i in range(4)]
    for x in xs:
        bn(t(x))
    np.testing.assert_allclose(bn.running_mean._data, np.mean([x.mean(0) for x in xs], axis=0),
                               rtol=1e-4, atol=1e-5)


def test_forward_shapes(F):
    x = fastnn.randn(2, 3, 8, 8)
    assert nn.Conv2d(3, 4, 3)(x).shape == (2, 4, 6, 6)
    assert nn.Conv2d(3, 4, 3, padding="same")(x).shape == (2, 4, 8, 8)
    assert nn.Conv2d(3, 4, (2, 4), padding="same")(x).shape == (2, 4, 8, 8)
    assert nn.Conv2d(3, 4, 3, padding="valid")(x).shape == (2, 4, 6, 6)
    assert nn.Conv1d(3, 5, 3, padding=1)(fastnn.randn(2, 3, 7)).shape == (2, 5, 7)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, 1, 1)(x).shape == (2, 3, 8, 8)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.Flatten()(x).shape == (2, 192)
    assert nn.Unflatten(1, (4, 48))(nn.Flatten()(x)).shape == (2, 4, 48)
    assert nn.Linear(8, 5)(x).shape == (2, 3, 8, 5)
    assert nn.LayerNorm(8)(x).shape == x.shape
    idx = fastnn.tensor([[0, 2], [1, 0]])
    assert nn.Embedding(3, 4)(idx).shape == (2, 2, 4)
    for act in (nn.ReLU(), nn.LeakyReLU(), nn.GELU(), nn.Sigmoid(), nn.Tanh(), nn.ELU(),
                nn.SiLU(), nn.Softmax(1), nn.LogSoftmax(1)):
        assert act(x).shape == x.shape


def test_backward_reaches_parameters(F):
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 3 * 3, 4))
    loss = nn.CrossEntropyLoss()(net(fastnn.randn(3, 1, 5, 5)), fastnn.tensor([0, 1, 3]))
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# --- same numbers as PyTorch from the same weights ------------------------------------
def _build_cnn(n):
    return n.Sequential(OrderedDict([
        ("features", n.Sequential(
            n.Conv2d(3, 6, 5), n.BatchNorm2d(6), n.ReLU(), n.MaxPool2d(2),
            n.Conv2d(6, 8, (3, 2), padding="same", bias=False), n.LeakyReLU(0.1),
            n.AvgPool2d(2), n.Identity())),
        ("pool", n.AdaptiveAvgPool2d((2, 2))),
        ("flatten", n.Flatten()),
        ("classifier", n.Sequential(n.Linear(32, 16), n.LayerNorm(16), n.GELU(), n.Dropout(0.3),
                                    n.Linear(16, 10))),
    ]))


def test_state_dict_keys_and_shapes_match_torch(torch):
    ours = _build_cnn(nn)
    theirs = _build_cnn(torch.nn)
    ok = ours.state_dict()
    tk = theirs.state_dict()
    assert list(ok) == list(tk)
    for k in ok:
        assert tuple(ok[k].shape) == tuple(tk[k].shape), k
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(ours) == repr(theirs)
    bn_keys = list(nn.BatchNorm1d(4).state_dict())
    assert bn_keys == list(torch.nn.BatchNorm1d(4).state_dict())


def test_same_numbers_from_torch_weights(torch, F):
    torch.manual_seed(0)
    theirs = _build_cnn(torch.nn).double()
    # give BatchNorm non-trivial running stats, then compare in eval and train mode
    with torch.no_grad():
        theirs(torch.randn(4, 3, 16, 16, dtype=torch.float64))
    ours = _build_cnn(nn).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(2, 3, 16, 16))
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    got = ours(fastnn.tensor(x))._data
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    # training mode (dropout off via p=0 so the outputs are deterministic)
    for net in (ours, theirs):
        net.classifier[3].p = 0.0
        net.train()
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    got = ours(fastnn.tensor(x))._data
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    bn_t, bn_o = theirs.features[1], ours.features[1]
    np.testing.assert_allclose(bn_o.running_mean._data, bn_t.running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn_o.running_var._data, bn_t.running_var.numpy(), rtol=1e-10)
    assert int(bn_o.num_batches_tracked._data) == int(bn_t.num_batches_tracked)


def test_same_gradients_as_torch(torch, F):
    torch.manual_seed(1)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.Tanh(),
                                 torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 5)).double()
    ours = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.Flatten(),
                         nn.Linear(3 * 4 * 4, 5)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).normal(size=(3, 2, 4, 4))
    y = np.array([0, 4, 2])
    tl = torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    tl.backward()
    ol = nn.CrossEntropyLoss()(ours(fastnn.tensor(x)), fastnn.tensor(y))
    ol.backward()
    assert abs(ol.item() - tl.item()) < 1e-10
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad._data, q.grad.numpy(), rtol=1e-8, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("name, kwargs, make_target", [
    ("CrossEntropyLoss", {}, lambda r: r.integers(0, 4, size=5)),
    ("CrossEntropyLoss", {"weight": [1., 2., .5, 1.], "ignore_index": 1, "reduction": "sum"},
     lambda r: r.integers(0, 4, size=5)),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, lambda r: r.integers(0, 4, size=5)),
    ("NLLLoss", {"reduction": "none"}, lambda r: r.integers(0, 4, size=5)),
    ("MSELoss", {}, lambda r: r.normal(size=(5, 4))),
    ("L1Loss", {"reduction": "sum"}, lambda r: r.normal(size=(5, 4))),
    ("SmoothL1Loss", {"beta": 0.5}, lambda r: r.normal(size=(5, 4))),
    ("BCEWithLogitsLoss", {"pos_weight": [1., 2., 3., .5]}, lambda r: r.random((5, 4))),
    ("BCELoss", {}, lambda r: r.random((5, 4))),
    ("HuberLoss", {"delta": 0.3}, lambda r: r.normal(size=(5, 4))),
    ("KLDivLoss", {"reduction": "batchmean"}, lambda r: r.dirichlet(np.ones(4), size=5)),
])
def test_losses_match_torch(torch, F, name, kwargs, make_target):
    r = np.random.default_rng(3)
    x = r.normal(size=(5, 4))
    if name == "BCELoss":
        x = 1 / (1 + np.exp(-x))
    if name in ("NLLLoss", "KLDivLoss"):
        x = x - np.log(np.exp(x).sum(1, keepdims=True))
    target = make_target(r)
    tk = {k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v)
          for k, v in kwargs.items()}
    fk = {k: (fastnn.tensor(np.array(v)) if isinstance(v, list) else v) for k, v in kwargs.items()}
    want = getattr(torch.nn, name)(**tk)(torch.from_numpy(x), torch.from_numpy(target)).numpy()
    got = getattr(nn, name)(**fk)(fastnn.tensor(x), fastnn.tensor(target))._data
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_embedding_and_activations_match_torch(torch, F):
    torch.manual_seed(0)
    te = torch.nn.Embedding(6, 3, padding_idx=2).double()
    oe = nn.Embedding(6, 3, padding_idx=2).double()
    oe.load_state_dict({"weight": te.weight.detach().numpy()})
    idx = np.array([[0, 2, 5], [1, 1, 3]])
    np.testing.assert_allclose(oe(fastnn.tensor(idx))._data,
                               te(torch.from_numpy(idx)).detach().numpy())
    x = np.random.default_rng(4).normal(size=(3, 5))
    for name, args in [("ReLU", ()), ("LeakyReLU", (0.2,)), ("GELU", ()), ("GELU", ("tanh",)),
                       ("Sigmoid", ()), ("Tanh", ()), ("ELU", (0.7,)), ("SiLU", ()),
                       ("Softmax", (1,)), ("LogSoftmax", (0,)), ("Softmin", (1,)),
                       ("Hardtanh", (-0.5, 0.7)), ("ReLU6", ()), ("SELU", ()),
                       ("Softplus", (2.0, 1.0)), ("LogSigmoid", ()), ("Mish", ())]:
        want = getattr(torch.nn, name)(*args)(torch.from_numpy(x)).numpy()
        got = getattr(nn, name)(*args)(fastnn.tensor(x))._data
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10, err_msg=name)


def test_conv_padding_modes_match_torch(torch, F):
    torch.manual_seed(0)
    x = np.random.default_rng(5).normal(size=(2, 2, 6, 7))
    for kwargs in ({"padding": "same"}, {"padding": "same", "dilation": 2},
                   {"padding": 1, "padding_mode": "reflect"},
                   {"padding": (1, 2), "padding_mode": "replicate", "stride": 2},
                   {"padding": 1, "padding_mode": "circular"}):
        tc = torch.nn.Conv2d(2, 3, (2, 3), **kwargs).double()
        oc = nn.Conv2d(2, 3, (2, 3), **kwargs).double()
        oc.load_state_dict({k: v.detach().numpy() for k, v in tc.state_dict().items()})
        want = tc(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(oc(fastnn.tensor(x))._data, want, rtol=1e-10, atol=1e-12,
                                   err_msg=str(kwargs))


def test_bilinear_and_maxpool1d_match_torch(torch, F):
    torch.manual_seed(0)
    tb = torch.nn.Bilinear(3, 4, 2).double()
    ob = nn.Bilinear(3, 4, 2).double()
    assert ob.weight.shape == (2, 3, 4)
    assert np.abs(ob.weight._data).max() <= 1 / np.sqrt(3)
    ob.load_state_dict({k: v.detach().numpy() for k, v in tb.state_dict().items()})
    r = np.random.default_rng(6)
    x1, x2 = r.normal(size=(5, 3)), r.normal(size=(5, 4))
    want = tb(torch.from_numpy(x1), torch.from_numpy(x2)).detach().numpy()
    np.testing.assert_allclose(ob(fastnn.tensor(x1), fastnn.tensor(x2))._data, want, rtol=1e-10)
    x = r.normal(size=(2, 3, 9))
    want = torch.nn.MaxPool1d(3, 2, 1)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(nn.MaxPool1d(3, 2, 1)(fastnn.tensor(x))._data, want)
