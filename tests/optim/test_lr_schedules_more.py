"""MultiplicativeLR, ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts,
SequentialLR and ChainedScheduler: lr sequences held to torch.optim.lr_scheduler
(skipped without torch), plus closed-form checks that need no torch."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import optim
from fastnn.optim import lr_scheduler as S


def _pair(lr=0.1):
    """(fastnn optimizer, torch optimizer or None) with two param groups."""
    fo = optim.SGD([{"params": [fastnn.zeros(2, requires_grad=True)], "lr": lr * (i + 1)}
                    for i in range(2)], lr=lr, momentum=0.9)
    try:
        import torch
    except ImportError:
        return fo, None, None
    to = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr * (i + 1)}
                          for i in range(2)], lr=lr, momentum=0.9)
    return fo, to, torch


def _halve_on_3(e):
    return 0.5 if e % 3 == 0 else 0.95


SIMPLE = [
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
    ("MultiplicativeLR", dict(lr_lambda=_halve_on_3)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.05, end_factor=0.8, total_iters=8)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=10, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
]


SIMPLE += [
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2")),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.9,
                      base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False,
                      scale_fn=lambda x: 0.5 ** x, scale_mode="iterations")),
]


@pytest.mark.parametrize("name,kw", SIMPLE)
def test_sequence_matches_torch(name, kw):
    fo, to, torch = _pair()
    if torch is None:
        pytest.skip("torch not installed")
    fs, ts = getattr(S, name)(fo, **kw), getattr(torch.optim.lr_scheduler, name)(to, **kw)
    for _ in range(30):
        assert fs.get_last_lr() == ts.get_last_lr()
        assert [g["lr"] for g in fo.param_groups] == [g["lr"] for g in to.param_groups]
        assert [g.get("momentum") for g in fo.param_groups] == [g.get("momentum") for g in to.param_groups]
        fo.step(), to.step()
        fs.step(), ts.step()


def test_cyclic_closed_form():
    opt = _opt()
    got = _lrs(S.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2, cycle_momentum=False), 9)
    np.testing.assert_allclose(got, [0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5, 0])
    with pytest.raises(ValueError, match="momentum"):
        S.CyclicLR(optim.Adagrad([fastnn.zeros(1, requires_grad=True)]), 0.1, 1.0)


def test_warm_restarts_fractional_epochs_match_torch():
    fo, to, torch = _pair()
    if torch is None:
        pytest.skip("torch not installed")
    fs = S.CosineAnnealingWarmRestarts(fo, T_0=2, T_mult=2, eta_min=0.01)
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(to, T_0=2, T_mult=2, eta_min=0.01)
    for epoch in range(8):
        for i in range(5):
            fs.step(epoch + i / 5)
            ts.step(epoch + i / 5)
            assert fs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
            assert fs.T_i == ts.T_i


def _composites(mod, opt):
    warm = mod.LinearLR(opt, start_factor=0.1, total_iters=4)
    cos = mod.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    seq = mod.SequentialLR(opt, schedulers=[warm, cos], milestones=[4])
    return seq


@pytest.mark.parametrize("which", ["sequential", "sequential3", "chained"])
def test_composites_match_torch(which):
    fo, to, torch = _pair()
    if torch is None:
        pytest.skip("torch not installed")

    def build(mod, opt):
        if which == "sequential":
            return _composites(mod, opt)
        if which == "sequential3":
            a = mod.ConstantLR(opt, factor=0.5, total_iters=2)
            b = mod.ExponentialLR(opt, gamma=0.9)
            c = mod.StepLR(opt, step_size=2, gamma=0.5)
            return mod.SequentialLR(opt, [a, b, c], milestones=[3, 7])
        return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.1, total_iters=2),
                                     mod.ExponentialLR(opt, gamma=0.9)])

    fs, ts = build(S, fo), build(torch.optim.lr_scheduler, to)
    for _ in range(20):
        assert fs.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-13)
        assert [g["lr"] for g in fo.param_groups] == pytest.approx(
            [g["lr"] for g in to.param_groups], rel=1e-13)
        fo.step(), to.step()
        fs.step(), ts.step()


# --- torch-free checks against the closed forms -------------------------------------
def _opt(lr=1.0):
    return optim.SGD([fastnn.zeros(2, requires_grad=True)], lr=lr)


def _lrs(sched, n):
    out = []
    for _ in range(n):
        out.append(sched.get_last_lr()[0])
        sched.optimizer.step()
        sched.step()
    return out


def test_linear_and_polynomial_closed_forms():
    got = _lrs(S.LinearLR(_opt(), start_factor=0.25, end_factor=1.0, total_iters=3), 6)
    np.testing.assert_allclose(got, [0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    got = _lrs(S.PolynomialLR(_opt(2.0), total_iters=4, power=2.0), 6)
    np.testing.assert_allclose(got, [2 * (1 - min(e, 4) / 4) ** 2 for e in range(6)], atol=1e-15)
    got = _lrs(S.ConstantLR(_opt(), factor=0.5, total_iters=2), 4)
    np.testing.assert_allclose(got, [0.5, 0.5, 1.0, 1.0])
    got = _lrs(S.MultiplicativeLR(_opt(), lr_lambda=lambda e: 0.5), 4)
    np.testing.assert_allclose(got, [1.0, 0.5, 0.25, 0.125])


def test_warm_restarts_closed_form():
    got = _lrs(S.CosineAnnealingWarmRestarts(_opt(), T_0=2, T_mult=2), 9)
    # cycles of 2, 4, 8 epochs, each restarting at lr 1
    want = [(1 + math.cos(math.pi * c / T)) / 2 for c, T in
            [(0, 2), (1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8), (1, 8), (2, 8)]]
    np.testing.assert_allclose(got, want)


def test_sequential_warmup_then_decay():
    opt = _opt()
    warm = S.LinearLR(opt, start_factor=0.5, total_iters=2)
    decay = S.ExponentialLR(opt, gamma=0.5)
    got = _lrs(S.SequentialLR(opt, [warm, decay], milestones=[2]), 5)
    np.testing.assert_allclose(got, [0.5, 0.75, 1.0, 0.5, 0.25])


def test_state_dict_round_trip():
    opt = _opt()
    seq = _composites(S, opt)
    for _ in range(6):
        seq.step()
    saved = seq.state_dict()
    opt2 = _opt()
    seq2 = _composites(S, opt2)
    seq2.load_state_dict(saved)
    for g in opt2.param_groups:
        g["lr"] = opt.param_groups[0]["lr"]
    for _ in range(4):
        seq.step(), seq2.step()
        assert seq.get_last_lr() == seq2.get_last_lr()


def test_bad_arguments():
    opt = _opt()
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="T_mult"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="factor"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="milestones|milestone"):
        S.SequentialLR(opt, [S.ExponentialLR(opt, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="same optimizer"):
        S.ChainedScheduler([S.ExponentialLR(opt, 0.9), S.ExponentialLR(_opt(), 0.9)])
    with pytest.raises(TypeError, match="lr_lambda"):
        S.MultiplicativeLR(opt, lr_lambda=3)
