"""Adadelta, Adamax, NAdam, RAdam and LBFGS: trajectories held to torch.optim on the same
parameters and gradients (skipped without torch), plus torch-free checks (first steps
worked out by hand, convergence on a quadratic, argument errors)."""

import numpy as np
import pytest

import fastnn
from fastnn import optim

SHAPES = [(3, 4), (5,), (2, 1, 3)]
DTYPES = [np.float32, np.float64]


def _grad(k, step, p):
    rng = np.random.default_rng(1000 * step + k)
    return 2.0 * p * (0.5 + 0.1 * k) + rng.standard_normal(p.shape)


def _trajectory(fn_cls, tn_cls, kwargs, dtype, steps=10):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    fp = [fastnn.tensor(a.copy(), requires_grad=True) for a in init]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    fo, to = fn_cls(fp, **kwargs), tn_cls(tp, **kwargs)
    for step in range(steps):
        for k, (a, b) in enumerate(zip(fp, tp)):
            if (step, k) == (3, 1):  # a parameter without a gradient this step is skipped
                a.grad = b.grad = None
                continue
            a.grad = fastnn.tensor(_grad(k, step, a._data).astype(dtype))
            b.grad = torch.from_numpy(_grad(k, step, b.detach().numpy()).astype(dtype))
        fo.step()
        to.step()
    rtol, atol = (1e-11, 1e-12) if dtype == np.float64 else (3e-5, 3e-6)
    for a, b in zip(fp, tp):
        assert a._data.dtype == dtype
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=rtol, atol=atol)


CASES = {
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05),
                 dict(lr=0.3, maximize=True, weight_decay=0.1)],
    "Adamax": [dict(), dict(lr=0.01, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.05),
               dict(lr=0.02, maximize=True)],
    "NAdam": [dict(), dict(lr=0.01, betas=(0.8, 0.99), momentum_decay=0.01),
              dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
    "RAdam": [dict(), dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3),
              dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)],
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kw", [(n, kw) for n, cases in CASES.items() for kw in cases])
def test_trajectory_matches_torch(name, kw, dtype):
    torch = pytest.importorskip("torch")
    # RAdam's rectified branch starts at step 6 with beta2=0.999, 3 with beta2=0.9: 10 steps see both
    _trajectory(getattr(optim, name), getattr(torch.optim, name), kw, dtype)


def test_defaults_are_pytorchs():
    p = [fastnn.zeros(2, requires_grad=True)]
    assert optim.Adadelta(p).defaults["lr"] == 1.0 and optim.Adadelta(p).defaults["rho"] == 0.9
    assert optim.Adamax(p).defaults["lr"] == 2e-3
    assert optim.NAdam(p).defaults["momentum_decay"] == 4e-3
    assert optim.RAdam(p).defaults["lr"] == 1e-3


def _one_step(opt_cls, g, x0=1.0, **kw):
    p = fastnn.tensor(np.full(3, x0), requires_grad=True)
    opt = opt_cls([p], **kw)
    p.grad = fastnn.tensor(np.asarray(g, dtype=np.float64))
    opt.step()
    return p._data


def test_first_steps_by_hand():
    g = np.array([0.5, -2.0, 0.0])
    # Adadelta: v = (1-rho) g^2; delta = sqrt(eps)/sqrt(v+eps) g
    v = 0.1 * g * g
    np.testing.assert_allclose(_one_step(optim.Adadelta, g), 1 - np.sqrt(1e-6) / np.sqrt(v + 1e-6) * g)
    # Adamax: m = 0.1 g, u = |g| + eps, step = lr / 0.1 * m / u
    np.testing.assert_allclose(_one_step(optim.Adamax, g), 1 - 2e-3 * g / (np.abs(g) + 1e-8))
    # RAdam step 1 is un-rectified: p -= lr * m_hat = lr * g
    np.testing.assert_allclose(_one_step(optim.RAdam, g), 1 - 1e-3 * g)
    # NAdam step 1
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008)
    denom = np.abs(g) + 1e-8
    want = 1 - 2e-3 * (1 - mu1) / (1 - mu1) * g / denom - 2e-3 * mu2 / (1 - mu1 * mu2) * 0.1 * g / denom
    np.testing.assert_allclose(_one_step(optim.NAdam, g), want)


@pytest.mark.parametrize("name,kw", [("Adadelta", dict(lr=1.0)), ("Adamax", dict(lr=0.05)),
                                     ("NAdam", dict(lr=0.05)), ("RAdam", dict(lr=0.05))])
def test_minimises_a_quadratic(name, kw):
    target = np.array([1.0, -2.0, 3.0])
    p = fastnn.tensor(np.zeros(3), requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    for _ in range(3000 if name == "Adadelta" else 600):
        opt.zero_grad()
        ((p - fastnn.tensor(target)) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(p._data, target, atol=0.05)


def test_bad_arguments():
    p = [fastnn.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="rho"):
        optim.Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match="beta"):
        optim.NAdam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.NAdam(p, momentum_decay=-1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.RAdam(p, lr=-1)
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS(p, line_search_fn="armijo")
    with pytest.raises(ValueError, match="groups"):
        optim.LBFGS([{"params": p}, {"params": [fastnn.zeros(1, requires_grad=True)]}])
    with pytest.raises(TypeError, match="closure"):
        optim.LBFGS(p).step()


def test_state_dict_round_trip():
    p = fastnn.tensor(np.ones(3), requires_grad=True)
    opt = optim.NAdam([p], lr=0.01)
    p.grad = fastnn.tensor(np.array([1.0, 2.0, 3.0]))
    opt.step()
    q = fastnn.tensor(p._data.copy(), requires_grad=True)
    opt2 = optim.NAdam([q], lr=0.01)
    opt2.load_state_dict(opt.state_dict())
    for o, x in ((opt, p), (opt2, q)):
        x.grad = fastnn.tensor(np.array([0.5, -1.0, 2.0]))
        o.step()
    np.testing.assert_array_equal(p._data, q._data)


# --- LBFGS --------------------------------------------------------------------------
def _rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def _lbfgs_run(lib, opt_kw, dtype, steps, x0=(-1.5, 2.0), extra=None):
    """Minimise Rosenbrock (plus a least-squares term over a second parameter) with ``lib``."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((6, 4)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    x = lib.tensor(np.array(x0, dtype=dtype), requires_grad=True)
    w = lib.tensor(np.zeros(4, dtype=dtype), requires_grad=True)
    A_, b_ = lib.tensor(A), lib.tensor(b)
    opt = lib.optim.LBFGS([x, w], **opt_kw)
    losses = []

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x) + ((A_ @ w - b_) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
    state = opt.state[opt.param_groups[0]["params"][0]]
    return (np.concatenate([x.detach().numpy(), w.detach().numpy()]), losses,
            state["func_evals"], state["n_iter"])


LBFGS_CASES = [
    dict(),
    dict(lr=0.5, max_iter=7, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(lr=1, max_iter=5, history_size=2, line_search_fn="strong_wolfe"),
    dict(max_iter=30, max_eval=12, tolerance_grad=1e-3, tolerance_change=1e-4,
         line_search_fn="strong_wolfe"),
    dict(lr=0.1, max_iter=4, tolerance_change=1e-3),
]


@pytest.mark.parametrize("kw", LBFGS_CASES)
def test_lbfgs_trajectory_matches_torch(kw):
    torch = pytest.importorskip("torch")
    mine = _lbfgs_run(fastnn, kw, np.float64, steps=4)
    theirs = _lbfgs_run(torch, kw, np.float64, steps=4)
    # Rosenbrock at lr=1 without line search amplifies last-digit rounding differences
    # (1e-12 -> 1e-7 over a step); a wrong algorithm is off by O(1)
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-6, atol=1e-9)
    assert mine[2:] == theirs[2:]  # same number of closure calls and iterations


def test_lbfgs_float32_close_to_torch():
    torch = pytest.importorskip("torch")
    kw = dict(line_search_fn="strong_wolfe", max_iter=10)
    mine = _lbfgs_run(fastnn, kw, np.float32, steps=2)
    theirs = _lbfgs_run(torch, kw, np.float32, steps=2)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-3, atol=1e-5)


def test_lbfgs_solves_rosenbrock_without_torch():
    for kw in (dict(line_search_fn="strong_wolfe", max_iter=100), dict(lr=0.2, max_iter=200)):
        x, losses, evals, _ = _lbfgs_run(fastnn, kw, np.float64, steps=5)
        np.testing.assert_allclose(x[:2], [1.0, 1.0], atol=1e-3)
        assert losses[-1] <= losses[0]


def test_lbfgs_quadratic_in_n_iterations():
    # on a strictly convex quadratic in n variables, L-BFGS with exact-enough line
    # search and full history reaches the minimum in about n iterations
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 5))
    Q = M @ M.T + 5 * np.eye(5)
    c = rng.standard_normal(5)
    x = fastnn.tensor(np.zeros(5), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=20, line_search_fn="strong_wolfe", tolerance_grad=1e-10,
                      tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x @ (fastnn.tensor(Q) @ x)) - (fastnn.tensor(c) * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x._data, np.linalg.solve(Q, c), rtol=1e-6, atol=1e-8)


def test_lbfgs_resumes_from_a_saved_state(tmp_path):
    def run(opt, x):
        def closure():
            opt.zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss
        opt.step(closure)

    x = fastnn.tensor(np.array([-1.2, 1.0]), requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    run(opt, x)
    fastnn.save(opt.state_dict(), tmp_path / "lbfgs.safetensors")
    y = fastnn.tensor(x._data.copy(), requires_grad=True)
    opt2 = optim.LBFGS([y], max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    opt2.load_state_dict(fastnn.load(tmp_path / "lbfgs.safetensors"))
    run(opt, x)
    run(opt2, y)
    np.testing.assert_allclose(y._data, x._data, rtol=1e-12)
