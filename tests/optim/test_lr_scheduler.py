"""Learning-rate schedules: sequences held to torch.optim.lr_scheduler, plus torch-free checks."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import optim
from fastnn.optim import lr_scheduler as S


def _opt(lr=0.1, groups=1):
    ps = [fastnn.zeros(2, requires_grad=True) for _ in range(groups)]
    return optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr)


CASES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=4)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e))),
]


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name,kw", CASES)
def test_sequence_matches_torch(name, kw):
    torch = _torch()
    fo = _opt(groups=2)
    to = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
                          for i in range(2)], lr=0.1)
    fs, ts = getattr(S, name)(fo, **kw), getattr(torch.optim.lr_scheduler, name)(to, **kw)
    for _ in range(25):
        assert fs.get_last_lr() == ts.get_last_lr()  # bit-for-bit: same float formulas
        assert [g["lr"] for g in fo.param_groups] == [g["lr"] for g in to.param_groups]
        fo.step()
        to.step()
        fs.step()
        ts.step()
    assert fs.last_epoch == ts.last_epoch == 25


def test_cosine_recursive_matches_torch_and_is_near_closed_form():
    torch = _torch()
    fo = _opt()
    to = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    fs, ts = S.CosineAnnealingLR(fo, T_max=10), torch.optim.lr_scheduler.CosineAnnealingLR(to, T_max=10)
    seq_f, seq_t, closed = [], [], []
    for e in range(1, 31):
        fo.step()
        to.step()
        fs.step()
        ts.step()
        seq_f.append(fs.get_last_lr()[0])
        seq_t.append(ts.get_last_lr()[0])
        closed.append(0.05 * (1 + math.cos(math.pi * e / 10)))
    assert seq_f == seq_t
    np.testing.assert_allclose(seq_f, closed, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.1),
                                dict(mode="min", threshold_mode="abs", threshold=0.05, cooldown=2,
                                     patience=1, min_lr=0.02),
                                dict(mode="max", threshold_mode="abs", patience=0, min_lr=[0.01, 0.03])])
def test_reduce_on_plateau_matches_torch(kw):
    torch = _torch()
    fo = _opt(groups=2)
    to = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
                          for i in range(2)], lr=0.1)
    fs = S.ReduceLROnPlateau(fo, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
    metrics = [1.0, 0.9, 0.95, 0.95, 0.89, 0.9, 0.91, 0.92, 0.5, 0.5, 0.5, 0.6, 0.7, 0.49, 0.3,
               0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    for m in metrics:
        fs.step(m)
        ts.step(m)
        assert fs.get_last_lr() == ts.get_last_lr()
        assert fs.num_bad_epochs == ts.num_bad_epochs and fs.best == ts.best


def test_step_lr_values_without_torch():
    o = _opt(lr=1.0)
    s = S.StepLR(o, step_size=2, gamma=0.5)
    seen = []
    for _ in range(6):
        seen.append(s.get_last_lr()[0])
        s.step()
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_reduce_on_plateau_without_torch():
    o = _opt(lr=1.0)
    s = S.ReduceLROnPlateau(o, patience=1, factor=0.5, min_lr=0.2)
    lrs = []
    for m in [5, 4, 4, 4, 4, 4, 4, 4]:
        s.step(m)
        lrs.append(o.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2]
    with pytest.raises(ValueError):
        S.ReduceLROnPlateau(o, factor=1.0)


def test_state_dict_resume():
    o = _opt(lr=1.0)
    s = S.CosineAnnealingLR(o, T_max=5)
    for _ in range(3):
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3
    o2 = _opt(lr=1.0)
    o2.load_state_dict(o.state_dict())
    s2 = S.CosineAnnealingLR(o2, T_max=5, last_epoch=3)
    s2.load_state_dict(sd)
    for _ in range(4):
        s.step()
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()


def test_resume_requires_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(), step_size=1, last_epoch=3)


def test_lambda_lr_state_dict_skips_functions():
    o = _opt(lr=1.0)
    s = S.LambdaLR(o, lambda e: 0.5 ** e)
    s.step()
    assert o.param_groups[0]["lr"] == 0.5
    assert s.state_dict()["lr_lambdas"] == [None]
    with pytest.raises(ValueError):
        S.LambdaLR(o, [lambda e: 1.0, lambda e: 1.0])


def test_not_an_optimizer():
    with pytest.raises(TypeError):
        S.StepLR(object(), step_size=1)
