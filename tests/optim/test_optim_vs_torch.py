"""fastnn.optim trajectories held to torch.optim on the same parameters and gradients."""
import itertools

import numpy as np
import pytest

import fastnn
from fastnn import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _grad(k, step, p):
    """A gradient that depends on the parameter (so errors feed back) and the step."""
    rng = np.random.default_rng(1000 * step + k)
    return 2.0 * p * (0.5 + 0.1 * k) + rng.standard_normal(p.shape)


def _run(fn_cls, tn_cls, kwargs, dtype, steps=8, groups=None, skip=None):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    fp = [fastnn.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    if groups is None:
        fo, to = fn_cls(fp, **kwargs), tn_cls(tp, **kwargs)
    else:  # groups: list of (param indices, extra options)
        fo = fn_cls([dict(params=[fp[i] for i in idx], **extra) for idx, extra in groups], **kwargs)
        to = tn_cls([dict(params=[tp[i] for i in idx], **extra) for idx, extra in groups], **kwargs)
    for step in range(steps):
        for k, (a, b) in enumerate(zip(fp, tp)):
            if skip and (step, k) in skip:
                a.grad, b.grad = None, None
                continue
            a.grad = fastnn.tensor(_grad(k, step, a._data).astype(dtype))
            b.grad = torch.from_numpy(_grad(k, step, b.detach().numpy()).astype(dtype))
        fo.step()
        to.step()
    rtol, atol = (1e-12, 1e-12) if dtype == np.float64 else (2e-5, 2e-6)
    for a, b in zip(fp, tp):
        assert a._data.dtype == dtype
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=rtol, atol=atol)
    return fo, to


DTYPES = [np.float32, np.float64]

SGD_CASES = [dict(lr=0.1)] + [
    dict(lr=0.05, momentum=m, dampening=d, weight_decay=w, nesterov=n, maximize=x)
    for m, d, w, n, x in itertools.product([0.9], [0.0, 0.3], [0.0, 0.01], [False, True], [False, True])
    if not (n and d)
] + [dict(lr=0.05, weight_decay=0.1, maximize=True)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd(kw, dtype):
    _run(optim.SGD, torch.optim.SGD, kw, dtype)


ADAM_CASES = [dict(lr=0.01, betas=b, eps=e, weight_decay=w, amsgrad=a, maximize=x)
              for b, e, w, a, x in itertools.product([(0.9, 0.999), (0.5, 0.9)], [1e-8, 1e-3],
                                                     [0.0, 0.05], [False, True], [False, True])]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam(kw, dtype):
    _run(optim.Adam, torch.optim.Adam, kw, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(lr=0.01)] + [
    dict(lr=0.02, betas=(0.8, 0.99), weight_decay=w, amsgrad=a, maximize=x)
    for w, a, x in itertools.product([0.0, 0.1], [False, True], [False, True])])
def test_adamw(kw, dtype):
    _run(optim.AdamW, torch.optim.AdamW, kw, dtype)


def test_adamw_default_weight_decay():
    p = fastnn.tensor(np.ones(2), requires_grad=True)
    assert optim.AdamW([p]).defaults["weight_decay"] == 0.01
    assert optim.Adam([p]).defaults["weight_decay"] == 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(lr=0.01)] + [
    dict(lr=0.01, alpha=al, eps=1e-6, weight_decay=w, momentum=m, centered=c, maximize=x)
    for al, w, m, c, x in itertools.product([0.99, 0.8], [0.0, 0.05], [0.0, 0.9], [False, True],
                                            [False, True])])
def test_rmsprop(kw, dtype):
    _run(optim.RMSprop, torch.optim.RMSprop, kw, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [dict(lr=0.1)] + [
    dict(lr=0.1, lr_decay=d, weight_decay=w, initial_accumulator_value=i, eps=e, maximize=x)
    for d, w, i, e, x in itertools.product([0.0, 0.1], [0.0, 0.05], [0.0, 0.5], [1e-10, 1e-3],
                                           [False, True])])
def test_adagrad(kw, dtype):
    _run(optim.Adagrad, torch.optim.Adagrad, kw, dtype)


@pytest.mark.parametrize("names", [("SGD", dict(momentum=0.9)), ("Adam", {}), ("AdamW", {}),
                                   ("RMSprop", dict(momentum=0.5)), ("Adagrad", {})])
def test_param_groups_and_missing_grads(names):
    name, kw = names
    groups = [([0, 2], dict(lr=0.03)), ([1], dict(lr=0.2, weight_decay=0.1))]
    skip = {(0, 1), (3, 0), (3, 1), (4, 2)}
    _run(getattr(optim, name), getattr(torch.optim, name), kw, np.float64, groups=groups, skip=skip)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1)),
                                     ("AdamW", dict(lr=0.1)),
                                     ("RMSprop", dict(lr=0.1, momentum=0.9, centered=True)),
                                     ("Adagrad", dict(lr=0.1))])
def test_state_dict_layout_matches_torch(name, kw):
    fo, to = _run(getattr(optim, name), getattr(torch.optim, name), kw, np.float64, steps=3)
    fs, ts = fo.state_dict(), to.state_dict()
    assert fs["param_groups"][0]["params"] == ts["param_groups"][0]["params"]
    assert set(fs["param_groups"][0]) <= set(ts["param_groups"][0])
    assert set(fs["state"]) == set(ts["state"])
    for idx in ts["state"]:
        assert set(fs["state"][idx]) == set(ts["state"][idx])
        for key, tv in ts["state"][idx].items():
            fv = fs["state"][idx][key]
            if key == "step":
                assert fv == int(tv.item())
            else:
                np.testing.assert_allclose(fv._data, tv.numpy(), rtol=1e-12, atol=1e-12)


def test_lr_change_between_steps_matches_torch():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(4)
    fp, tp = fastnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    fo, to = optim.Adam([fp], lr=0.1), torch.optim.Adam([tp], lr=0.1)
    for step in range(6):
        g = rng.standard_normal(4)
        fp.grad, tp.grad = fastnn.tensor(g), torch.from_numpy(g.copy())
        for o in (fo, to):
            o.param_groups[0]["lr"] = 0.1 / (step + 1)
        fo.step()
        to.step()
    np.testing.assert_allclose(fp._data, tp.detach().numpy(), rtol=1e-12)
