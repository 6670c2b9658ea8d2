"""fastnn.compile: the plan's outputs equal the model's eval-mode outputs at
several batch sizes; PyTorch's arguments are accepted; a model that cannot be
captured runs as it is, with a warning."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn
from fastnn.compiler import _native


@pytest.fixture(autouse=True, params=[True, False], ids=["fused", "numpy-steps"])
def fused_kernels(request, monkeypatch):
    """Every test twice: with the fused native kernels where the plan's rule
    takes them, and with the NumPy/BLAS steps they replace."""
    monkeypatch.setattr(_native, "ENABLED", request.param)
    return request.param


def _eager(model, x):
    model.eval()
    with fastnn.no_grad():
        return model(fastnn.tensor(x))


def _same(model, shape, batches=(1, 3, 8), tol=1e-5):
    compiled = fastnn.compile(model)
    rng = np.random.default_rng(0)
    for n in batches:
        x = rng.standard_normal((n,) + shape).astype(np.float32)
        got, want = compiled(fastnn.tensor(x)), _eager(model, x)
        got = got if isinstance(got, tuple) else (got,)
        want = want if isinstance(want, tuple) else (want,)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert isinstance(g, fastnn.Tensor) and g.shape == w.shape
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=tol, atol=tol)
    return compiled


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def test_seed_cnn_fuses_relu(fused_kernels):
    fastnn.manual_seed(0)
    compiled = _same(_cnn(), (1, 8, 8), batches=(1,))
    plan = next(iter(compiled._plans.values()))
    assert plan.chain is not None
    # fused kernels: all 10 ops in one program, one step; else conv+relu+pool
    # twice, reshape, linear+relu, linear: 5 steps
    assert len(plan.steps) == (1 if fused_kernels else 5)


def test_seed_cnn_batches_and_float64(fused_kernels):
    """Batch 1, odd batches, a larger batch; float64 too."""
    fastnn.manual_seed(0)
    compiled = _same(_cnn(), (1, 8, 8), batches=(1, 3, 7, 64))
    if fused_kernels:  # every batch: the whole network in one program
        assert all(len(plan.steps) == 1 for plan in compiled._plans.values())
    m64 = _cnn().double()
    c = fastnn.compile(m64)
    rng = np.random.default_rng(1)
    for n in (1, 5):
        x = rng.standard_normal((n, 1, 8, 8))
        got = c(fastnn.tensor(x)).numpy()
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, _eager(m64, x).numpy(), rtol=1e-12, atol=1e-12)


def test_fused_rule_weights_in_cache(fused_kernels):
    """Weights read once per tile must fit in L2 (256 KiB packed): a 3x3
    64 -> 128 conv (288 KiB) and a 784 x 128 Linear on 9 rows (392 KiB) take
    the other steps; the same Linear on 1 row reads its weights once: fused."""
    fastnn.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Conv2d(128, 8, 1))
    plan = next(iter(_same(m, (64, 5, 5), batches=(1,), tol=1e-4)._plans.values()))
    native = [isinstance(fn, _native.NativeOp) or getattr(fn, "__self__", None) is not None
              for fn, _, _ in plan.steps]
    assert native == ([False, True] if fused_kernels else [False, False])
    mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    plans = _same(mlp, (784,), batches=(1, 9))._plans
    steps = {key[0][0]: len(plan.steps) for key, plan in plans.items()}
    assert steps == ({1: 1, 9: 2} if fused_kernels else {1: 2, 9: 2})


def test_mlp_and_dropout_in_eval():
    fastnn.manual_seed(1)
    mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    mlp.train()
    _same(mlp, (784,), batches=(1, 2, 5, 33))


def test_lstm_batchnorm_and_tuples():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(6, 8, batch_first=True, bidirectional=True)
            self.bn = nn.BatchNorm1d(16)
            self.fc = nn.Linear(16, 3)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            z = self.bn(out[:, -1])
            return F.log_softmax(self.fc(z), dim=1), h
    fastnn.manual_seed(2)
    _same(Net(), (5, 6), batches=(1, 4))


def test_arguments_like_torch():
    m = nn.Linear(3, 2)
    assert fastnn.compile(m, disable=True) is m
    c = fastnn.compile(m, mode="reduce-overhead", fullgraph=True, dynamic=True,
                       backend="inductor", options={})
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(c(x).numpy(), _eager(m, x).numpy(), rtol=1e-6)
    deco = fastnn.compile(mode="max-autotune")
    np.testing.assert_allclose(deco(m)(x).numpy(), _eager(m, x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        fastnn.compile(m, mode="fast")
    with pytest.raises(ValueError, match="backend"):
        fastnn.compile(m, backend="tvm")
    with pytest.raises(TypeError, match="options"):
        fastnn.compile(m, options=3)
    with pytest.raises(TypeError, match="model"):
        fastnn.compile(3)


def test_uncapturable_model_falls_back_with_warning():
    class Packed(nn.Module):
        def forward(self, x):
            return F.one_hot(x.argmax(1), 4).float() * 2  # reads the data with NumPy
    m = Packed()
    c = fastnn.compile(m)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match="running the module as it is"):
        out = c(x)
    np.testing.assert_array_equal(out.numpy(), _eager(m, x).numpy())
    with pytest.raises(Exception):
        fastnn.compile(Packed(), fullgraph=True)(x)


def test_conv_geometry_both_paths():
    """Small inputs take the im2col + BLAS step, large ones the native conv."""
    fastnn.manual_seed(3)
    m = nn.Sequential(nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), nn.ReLU(),
                      nn.MaxPool2d(3, stride=2, padding=1), nn.MaxPool2d(2),
                      nn.Conv2d(6, 5, 1), nn.Flatten(), nn.Linear(20, 3))
    _same(m, (4, 17, 19), batches=(1, 2, 100))
    m1 = nn.Sequential(nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), nn.ReLU(),
                       nn.MaxPool1d(2), nn.Conv1d(6, 2, 2))
    _same(m1, (4, 30), batches=(1, 3, 700))


def test_conv_pool_fusion_edges():
    """conv(+relu)+max pool fused: odd sizes (rows no window covers), strides,
    dilation, no bias, conv -> pool without relu, a pool whose indices are
    used or that is not window = stride (not fused), a conv output used twice."""
    fastnn.manual_seed(4)
    m = nn.Sequential(nn.Conv2d(3, 5, 3, stride=2, padding=2, dilation=2, bias=False),
                      nn.MaxPool2d((2, 3)), nn.ReLU(),
                      nn.Conv2d(5, 4, (2, 3), padding=(1, 0)), nn.ReLU(), nn.MaxPool2d(2, stride=1),
                      nn.Conv2d(4, 3, 1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True))
    _same(m, (3, 23, 29), batches=(1, 2, 40), tol=1e-4)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, padding=1)
            self.pool = nn.MaxPool2d(2, return_indices=True)

        def forward(self, x):
            y = F.relu(self.conv(x))
            p, i = self.pool(y)
            return p, i.float(), F.max_pool2d(self.conv(x), 2) + y.sum()
    _same(Twice(), (2, 6, 7), batches=(1, 3), tol=1e-4)


def test_outputs_do_not_alias_plan_buffers():
    """The plan reuses its buffers: an output kept from one call must not
    change on the next."""
    fastnn.manual_seed(5)
    m = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2))
    c = fastnn.compile(m)
    rng = np.random.default_rng(1)
    x1, x2 = (rng.standard_normal((1, 1, 6, 6)).astype(np.float32) for _ in range(2))
    y1 = c(fastnn.tensor(x1)).numpy().copy()
    kept = c(fastnn.tensor(x1))
    c(fastnn.tensor(x2))
    np.testing.assert_array_equal(kept.numpy(), y1)
    mlp = nn.Sequential(nn.Linear(4, 3))
    c = fastnn.compile(mlp)
    kept = c(fastnn.tensor(np.ones((1, 4), np.float32)))
    first = kept.numpy().copy()
    c(fastnn.tensor(np.zeros((1, 4), np.float32)))
    np.testing.assert_array_equal(kept.numpy(), first)


def test_linear_paths_one_row_few_rows_many():
    """The one-row product (with the bias from a conv's tailed buffer or
    added), a few rows, many rows, a float64 model, a Linear on 3-d input."""
    fastnn.manual_seed(6)
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(12, 7), nn.ReLU(), nn.Linear(7, 5, bias=False), nn.Linear(5, 2))
    _same(m, (2, 6, 6), batches=(1, 3, 9))
    _same(nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 3)), (2, 5), batches=(1, 4))
    m64 = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    c = fastnn.compile(m64)
    x = np.random.default_rng(2).standard_normal((1, 6))
    np.testing.assert_allclose(c(fastnn.tensor(x)).numpy(), _eager(m64, x).numpy(), rtol=1e-12)


def test_conv_reading_a_reshaped_buffer():
    """A conv whose input is a new view of a plan buffer on every call (a
    reshape of a Linear's output) switches to copying it, and stays right."""
    class Up(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(5, 2 * 4 * 4)
            self.conv = nn.Conv2d(2, 3, 3, padding=1)

        def forward(self, x):
            return F.max_pool2d(F.relu(self.conv(self.fc(x).reshape(x.shape[0], 2, 4, 4))), 2)
    fastnn.manual_seed(8)
    m = Up()
    c = fastnn.compile(m)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.standard_normal((1, 5)).astype(np.float32)
        np.testing.assert_allclose(c(fastnn.tensor(x)).numpy(), _eager(m, x).numpy(),
                                   rtol=1e-5, atol=1e-5)


def test_seed_cnn_matches_pytorch():
    """The same weights in PyTorch give the same numbers (batch 1 and 5)."""
    torch = pytest.importorskip("torch")
    fastnn.manual_seed(0)
    m = _cnn().eval()
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(),
                            torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 64, 3, padding=1),
                            torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                            torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    t.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in m.state_dict().items()})
    c = fastnn.compile(m)
    rng = np.random.default_rng(4)
    for n in (1, 5):
        x = rng.standard_normal((n, 1, 8, 8)).astype(np.float32)
        with torch.no_grad():
            want = t(torch.tensor(x)).numpy()
        np.testing.assert_allclose(c(fastnn.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)
