"""fastnn.amp: autocast regions (state, decorator, argument checks, full-precision
compute) and GradScaler's dynamic scaling, step skipping and state_dict, against a
hand-worked schedule and torch.amp.GradScaler('cpu') where installed."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.amp import GradScaler, autocast


def test_autocast_region_state_decorator_and_checks():
    assert fastnn.autocast is autocast and fastnn.amp.autocast is autocast
    assert not fastnn.amp.is_autocast_enabled("cpu")
    with autocast("cpu", dtype=fastnn.float16, enabled=False):
        assert not fastnn.amp.is_autocast_enabled("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autocast(device_type="cpu"):
            assert fastnn.amp.is_autocast_enabled("cpu")
            with autocast("cpu", enabled=False):
                assert not fastnn.amp.is_autocast_enabled("cpu")
            assert fastnn.amp.is_autocast_enabled("cpu")
            x = fastnn.ones(2, 3) @ fastnn.ones(3, 2)
            assert x.dtype == fastnn.float32 and float(x[0, 0]) == 3.0

        @autocast("cpu")
        def f():
            return fastnn.amp.is_autocast_enabled("cpu")
        assert f() is True
    assert not fastnn.amp.is_autocast_enabled("cpu")
    with pytest.raises(RuntimeError, match="device_type"):
        autocast("tpu9")
    with pytest.raises(ValueError, match="device_type"):
        autocast(0)
    with pytest.raises(TypeError, match="enabled"):
        autocast("cpu", enabled=1)


def _run(lib, scaler_cls, grads_list):
    """A Linear(1->1)-free trajectory: a parameter whose gradient we set directly, SGD."""
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = scaler_cls("cpu", init_scale=8.0, growth_interval=2)
    scales, params = [], []
    for g in grads_list:
        opt.zero_grad()
        loss = scaler.scale((p * lib.tensor(g)).sum())
        loss.backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        params.append(p.detach().numpy().copy())
    return scales, params, scaler.state_dict()


GRADS = [[1.0, 1.0], [0.5, -1.0], [float("inf"), 1.0], [1.0, 2.0], [1.0, 0.0], [2.0, 2.0]]


def test_grad_scaler_schedule_and_skipping():
    scales, params, state = _run(fastnn, GradScaler, GRADS)
    # 8 -> (2 clean steps) 16 -> inf: halve to 8, step skipped -> 2 clean: 16 -> 1 clean
    assert scales == [8.0, 16.0, 8.0, 8.0, 16.0, 16.0]
    np.testing.assert_allclose(params[2], params[1])  # the inf step changed nothing
    np.testing.assert_allclose(params[-1], [1 - 0.1 * (1 + .5 + 1 + 1 + 2), 2 - 0.1 * (1 - 1 + 2 + 0 + 2)],
                               rtol=1e-6)
    assert state["_growth_tracker"] == 1 and state["scale"] == 16.0
    s2 = GradScaler("cpu")
    s2.load_state_dict(state)
    assert s2.get_scale() == 16.0


def test_grad_scaler_disabled_and_errors():
    s = GradScaler("cpu", enabled=False)
    t = fastnn.tensor(3.0)
    assert s.scale(t) is t and s.get_scale() == 1.0 and s.state_dict() == {}
    with pytest.raises(ValueError, match="growth_factor"):
        GradScaler(growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff_factor"):
        GradScaler(backoff_factor=1.5)
    s = GradScaler("cpu")
    p = fastnn.nn.Parameter(fastnn.ones(2))
    opt = fastnn.optim.SGD([p], lr=0.1)
    s.scale(p.sum()).backward()
    s.unscale_(opt)
    np.testing.assert_allclose(p.grad.numpy(), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="already been called"):
        s.unscale_(opt)
    with pytest.raises(ValueError, match="Tensor"):
        s.scale(3.0)


def test_grad_scaler_matches_torch():
    torch = pytest.importorskip("torch")
    ours = _run(fastnn, GradScaler, GRADS)
    theirs = _run(torch, torch.amp.GradScaler, GRADS)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(np.array(ours[1]), np.array(theirs[1]), rtol=1e-6)
    assert ours[2]["scale"] == theirs[2]["scale"]
    assert ours[2]["_growth_tracker"] == theirs[2]["_growth_tracker"]
