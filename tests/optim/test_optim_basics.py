"""Torch-free checks of fastnn.optim: convergence, API behaviour, state_dict round trips."""
import copy

import numpy as np
import pytest

import fastnn
from fastnn import optim

ALL = [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.SGD, dict(lr=0.1, nesterov=True, momentum=0.5)),
       (optim.Adam, dict(lr=0.1)), (optim.Adam, dict(lr=0.1, amsgrad=True)),
       (optim.AdamW, dict(lr=0.1)), (optim.RMSprop, dict(lr=0.01)),
       (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True)), (optim.Adagrad, dict(lr=0.5))]


def _quad_grad(p, target):
    return fastnn.tensor(2.0 * (p._data - target))


@pytest.mark.parametrize("cls,kw", ALL)
def test_converges_on_quadratic(cls, kw):
    target = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    p = fastnn.zeros(3, requires_grad=True)
    opt = cls([p], **kw)
    for _ in range(500):
        opt.zero_grad()
        p.grad = _quad_grad(p, target)
        opt.step()
    assert p._data.dtype == np.float32
    np.testing.assert_allclose(p._data, target, atol=0.05 if cls is optim.AdamW else 1e-2)


def test_sgd_exact_first_steps():
    p = fastnn.tensor(np.array([1.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    p.grad = fastnn.tensor(np.array([2.0]))
    opt.step()  # buffer initialised to the first gradient, no dampening on it
    assert p._data[0] == pytest.approx(1.0 - 0.1 * 2.0)
    opt.step()  # buf = 0.9*2 + 0.5*2 = 2.8
    assert p._data[0] == pytest.approx(0.8 - 0.1 * 2.8)


def test_adam_first_step_is_lr_times_sign():
    p = fastnn.tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.Adam([p], lr=0.01, eps=0)
    p.grad = fastnn.tensor(np.array([3.0, -0.5]))
    opt.step()
    np.testing.assert_allclose(p._data, [0.99, 1.01], rtol=1e-12)
    assert opt.state[p]["step"] == 1


@pytest.mark.parametrize("cls,kw", ALL)
def test_state_dict_round_trip_continues_identically(cls, kw):
    rng = np.random.default_rng(0)
    a = [fastnn.tensor(rng.standard_normal((3, 2)), requires_grad=True),
         fastnn.tensor(rng.standard_normal(4), requires_grad=True)]
    grads = [[rng.standard_normal(p.shape) for p in a] for _ in range(6)]
    opt = cls(a, **kw)
    for g in grads[:3]:
        for p, gi in zip(a, g):
            p.grad = fastnn.tensor(gi)
        opt.step()
    b = [fastnn.tensor(p._data.copy(), requires_grad=True) for p in a]
    opt_b = cls(b, lr=123.0)  # options come from the state dict
    opt_b.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert opt_b.param_groups[0]["lr"] == kw["lr"]
    for g in grads[3:]:
        for pa, pb, gi in zip(a, b, g):
            pa.grad, pb.grad = fastnn.tensor(gi), fastnn.tensor(gi.copy())
        opt.step()
        opt_b.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa._data, pb._data)


def test_load_state_dict_copies_and_casts():
    p = fastnn.tensor(np.zeros(2, np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": np.array([1.0, 2.0])}},
          "param_groups": [{"lr": 0.5, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                            "nesterov": False, "maximize": False, "params": [0]}]}
    opt.load_state_dict(sd)
    buf = opt.state[p]["momentum_buffer"]
    assert buf._data.dtype == np.float32
    sd["state"][0]["momentum_buffer"][0] = 99
    assert buf._data[0] == 1.0
    assert opt.param_groups[0]["params"][0] is p and opt.param_groups[0]["lr"] == 0.5


def test_load_state_dict_mismatch():
    p, q = (fastnn.zeros(2, requires_grad=True) for _ in range(2))
    sd = optim.SGD([p, q], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="size"):
        optim.SGD([p], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="number of parameter groups"):
        optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(sd)


def test_zero_grad():
    p = fastnn.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = fastnn.ones(2)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad._data, [0, 0])
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_options_and_add_param_group():
    p, q, r = (fastnn.zeros(2, requires_grad=True) for _ in range(3))
    opt = optim.SGD([{"params": [p]}, {"params": q, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [r], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [p]})
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1], [2]]
    p.grad = q.grad = r.grad = fastnn.ones(2)
    opt.step()
    np.testing.assert_allclose(q._data, [-0.5, -0.5])
    np.testing.assert_allclose(r._data, [-0.1, -0.1])


def test_step_skips_params_without_grad_and_returns_closure_loss():
    p, q = fastnn.ones(2, requires_grad=True), fastnn.ones(2, requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = fastnn.ones(2)
    calls = []
    loss = opt.step(lambda: calls.append(fastnn.is_grad_enabled()) or 3.5)
    assert loss == 3.5 and calls == [True]
    np.testing.assert_array_equal(q._data, [1, 1])
    assert q not in opt.state and p in opt.state
    assert not np.allclose(p._data, 1)


def test_updates_in_place():
    p = fastnn.ones(3, requires_grad=True)
    arr = p._data
    opt = optim.RMSprop([p], lr=0.1, momentum=0.9)
    p.grad = fastnn.ones(3)
    opt.step()
    assert p._data is arr and not np.allclose(arr, 1)


@pytest.mark.parametrize("bad", [
    lambda p: optim.SGD([p], lr=-1), lambda p: optim.SGD([p], lr=0.1, nesterov=True),
    lambda p: optim.Adam([p], betas=(1.0, 0.9)), lambda p: optim.Adam([p], eps=-1),
    lambda p: optim.RMSprop([p], momentum=-0.1), lambda p: optim.Adagrad([p], lr_decay=-1),
    lambda p: optim.SGD([], lr=0.1)])
def test_invalid_options(bad):
    with pytest.raises(ValueError):
        bad(fastnn.zeros(2, requires_grad=True))


def test_invalid_params():
    p = fastnn.zeros(2, requires_grad=True)
    with pytest.raises(TypeError):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD({p}, lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([p, p], lr=0.1)


def test_adagrad_state_exists_before_first_step():
    p = fastnn.zeros(2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    st = opt.state_dict()["state"][0]
    assert st["step"] == 0
    np.testing.assert_array_equal(st["sum"]._data, [0.25, 0.25])
