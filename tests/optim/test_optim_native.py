"""The native fused optimizer steps held to the NumPy reference, bit for bit.

fastnn/backends/native/optim.py updates all the parameters of a group in one
threaded pass; fastnn/backends/numpy_ref/optim.py is the formula, one NumPy
operation at a time. The kernel keeps the reference's operations and their
order (and is built without FMA contraction), so the two must agree exactly,
on any split of the work over threads.
"""
import itertools

import numpy as np
import pytest

import fastnn
from fastnn import optim
from fastnn.backends import use_backend
from fastnn.backends.native import _optim as kern
from fastnn.backends.native import optim as nat
from fastnn.backends.numpy_ref import optim as ref

DTYPES = [np.float32, np.float64]
SMALL = [(1,), (7,), (0,), (3, 5), (2, 0, 4), (33,)]   # odd sizes, zero-size params
BIG = SMALL + [(1000003,)]

# Per optimizer: the state lists its step function takes after (params, grads)
# and the option grid.
SGD_OPTS = [dict(lr=0.05, momentum=m, dampening=d, weight_decay=w, nesterov=n, maximize=x)
            for m, d, w, n, x in itertools.product([0.0, 0.9], [0.0, 0.3], [0.0, 0.01],
                                                   [False, True], [False, True])
            if not (n and (d or not m))]
ADAM_OPTS = [dict(lr=0.01, beta1=b1, beta2=b2, eps=e, weight_decay=w, amsgrad=a, maximize=x)
             for (b1, b2), e, w, a, x in itertools.product([(0.9, 0.999), (0.5, 0.9)], [1e-8, 1e-3],
                                                           [0.0, 0.05], [False, True],
                                                           [False, True])]
RMS_OPTS = [dict(lr=0.01, alpha=al, eps=1e-6, weight_decay=w, momentum=m, centered=c, maximize=x)
            for al, w, m, c, x in itertools.product([0.99, 0.3], [0.0, 0.05], [0.0, 0.9],
                                                    [False, True], [False, True])]
ADAGRAD_OPTS = [dict(lr=0.1, lr_decay=d, weight_decay=w, eps=e, maximize=x, init=i)
                for d, w, i, e, x in itertools.product([0.0, 0.1], [0.0, 0.05], [0.0, 0.5],
                                                       [1e-10, 1e-3], [False, True])]


class _NoReference:
    """Stands in for the reference inside the native wrapper: a fallback fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the native wrapper fell back to the reference ({name})")


@pytest.fixture
def native_only(monkeypatch):
    monkeypatch.setattr(nat, "_ref", _NoReference())


class _Group:
    """Parameters, gradients and optimizer state of one group, updated by ``mod``'s kernel."""

    def __init__(self, name, kw, dtype, shapes, seed=0):
        rng = np.random.default_rng(seed)
        self.name, self.kw = name, dict(kw)
        self.params = [rng.standard_normal(s).astype(dtype) for s in shapes]
        zeros = lambda: [np.zeros(s, dtype) for s in shapes]  # noqa: E731
        if name == "sgd":
            self.state = dict(momentum_buffers=[None] * len(shapes))
        elif name in ("adam", "adamw"):
            self.state = dict(exp_avgs=zeros(), exp_avg_sqs=zeros(),
                              max_exp_avg_sqs=zeros() if kw["amsgrad"] else None)
        elif name == "rmsprop":
            self.state = dict(square_avgs=zeros(), grad_avgs=zeros() if kw["centered"] else None,
                              momentum_buffers=zeros() if kw["momentum"] > 0 else None)
        else:
            init = self.kw.pop("init")
            self.state = dict(state_sums=[np.full(s, init, dtype) for s in shapes])
        # parameters of one group at different step numbers (some missed gradients)
        self.steps = [1 + i % 3 for i in range(len(shapes))]

    def copy(self):
        other = _Group.__new__(_Group)
        other.name, other.kw, other.steps = self.name, dict(self.kw), list(self.steps)
        other.params = [p.copy() for p in self.params]
        other.state = {k: None if v is None else [None if a is None else a.copy() for a in v]
                       for k, v in self.state.items()}
        return other

    def step(self, mod, grads):
        fn = getattr(mod, self.name + "_step")
        st = self.state
        if self.name == "sgd":
            fn(self.params, grads, st["momentum_buffers"], **self.kw)
        elif self.name in ("adam", "adamw"):
            fn(self.params, grads, st["exp_avgs"], st["exp_avg_sqs"], st["max_exp_avg_sqs"],
               self.steps, **self.kw)
        elif self.name == "rmsprop":
            fn(self.params, grads, st["square_avgs"], st["grad_avgs"], st["momentum_buffers"],
               **self.kw)
        else:
            fn(self.params, grads, st["state_sums"], self.steps, **self.kw)
        self.steps = [t + 1 for t in self.steps]

    def arrays(self):
        out = list(self.params)
        for v in self.state.values():
            out += [a for a in (v or []) if a is not None]
        return out


def _grads(group, step):
    rng = np.random.default_rng(100 + step)
    return [(rng.standard_normal(p.shape) + 0.5 * p).astype(p.dtype) for p in group.params]


def _assert_same(a, b):
    x, y = a.arrays(), b.arrays()
    assert len(x) == len(y)
    for u, v in zip(x, y):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)


def _compare(name, kw, dtype, shapes, steps=3):
    nat_g = _Group(name, kw, dtype, shapes)
    ref_g = nat_g.copy()
    for s in range(steps):
        grads = _grads(nat_g, s)
        nat_g.step(nat, grads)
        ref_g.step(ref, grads)
    _assert_same(nat_g, ref_g)
    return nat_g


CASES = ([("sgd", kw) for kw in SGD_OPTS] + [("adam", kw) for kw in ADAM_OPTS]
         + [("adamw", kw) for kw in ADAM_OPTS] + [("rmsprop", kw) for kw in RMS_OPTS]
         + [("adagrad", kw) for kw in ADAGRAD_OPTS])


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_native_equals_reference(native_only, name, kw, dtype):
    _compare(name, kw, dtype, SMALL)


# all options on at once, with a parameter of 1000003 elements among small ones
FULL = [("sgd", dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True,
                     maximize=True)),
        ("sgd", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.0, nesterov=False,
                     maximize=False)),
        ("adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.05, amsgrad=True,
                      maximize=True)),
        ("adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
                      maximize=False)),
        ("adamw", dict(lr=0.01, beta1=0.5, beta2=0.9, eps=1e-3, weight_decay=0.05, amsgrad=True,
                       maximize=False)),
        ("rmsprop", dict(lr=0.01, alpha=0.99, eps=1e-6, weight_decay=0.05, momentum=0.9,
                         centered=True, maximize=True)),
        ("adagrad", dict(lr=0.1, lr_decay=0.1, weight_decay=0.05, eps=1e-10, maximize=True,
                         init=0.5))]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name,kw", FULL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FULL)])
def test_native_equals_reference_large(native_only, name, kw, dtype):
    _compare(name, kw, dtype, BIG, steps=2)


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name,kw", FULL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FULL)])
def test_one_and_two_threads_agree(native_only, restore_threads, name, kw, dtype):
    # conftest.py sets FASTNN_PAR_MIN_SCALE=0, so even these small groups take
    # the team path; odd sizes put the thread boundary inside a parameter.
    shapes = [(5,), (0,), (1001,), (3, 7), (1,), (64,)]
    runs = []
    for n in (1, 2):
        fastnn.set_num_threads(n)
        g = _Group(name, kw, dtype, shapes)
        for s in range(3):
            g.step(nat, _grads(g, s))
        runs.append(g)
    _assert_same(runs[0], runs[1])


def test_nan_and_inf_follow_the_reference(native_only):
    kw = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, amsgrad=True,
              maximize=False)
    a = _Group("adam", kw, np.float32, [(6,), (4,)])
    a.params[0][1] = np.inf
    a.state["max_exp_avg_sqs"][1][2] = np.nan
    b = a.copy()
    grads = _grads(a, 0)
    grads[0][3] = np.nan
    grads[1][0] = -np.inf
    with np.errstate(invalid="ignore"):
        a.step(nat, grads)
        b.step(ref, grads)
    _assert_same(a, b)


# ---------------------------------------------------------------------------- one call per group

@pytest.mark.parametrize("cls,kw,kernel", [
    (optim.SGD, dict(lr=0.1, momentum=0.9), "sgd"), (optim.Adam, {}, "adam"),
    (optim.AdamW, {}, "adam"), (optim.RMSprop, dict(momentum=0.5, centered=True), "rmsprop"),
    (optim.Adagrad, {}, "adagrad")])
def test_optimizer_makes_one_native_call_per_group(monkeypatch, cls, kw, kernel):
    calls = []
    real = getattr(kern, kernel)

    def counting(*args):
        calls.append(len(args[0]))
        return real(*args)
    monkeypatch.setattr(nat, "_k", type("K", (), {kernel: staticmethod(counting)}))
    monkeypatch.setattr(nat, "_ref", _NoReference())
    rng = np.random.default_rng(0)
    ps = [fastnn.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
          for s in [(4, 3), (3,), (5, 2, 2), (7,)]]
    opt = cls([dict(params=ps[:3]), dict(params=ps[3:], lr=0.5)], **kw)
    for _ in range(2):
        for p in ps:
            p.grad = fastnn.tensor(rng.standard_normal(p.shape).astype(np.float32))
        opt.step()
    assert calls == [3, 1, 3, 1]


@pytest.mark.parametrize("cls,kw", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(amsgrad=True, maximize=True)), (optim.AdamW, dict(weight_decay=0.1)),
    (optim.RMSprop, dict(momentum=0.5, centered=True)), (optim.Adagrad, dict(lr_decay=0.01))])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_optimizer_native_equals_numpy_backend(cls, kw, dtype):
    """Whole optimizers, native backend vs use_backend('numpy'), with missing gradients
    (parameters at different step numbers) and two groups."""
    results = []
    for backend in ("native", "numpy"):
        rng = np.random.default_rng(0)
        ps = [fastnn.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in [(4, 3), (3,), (0,), (7,)]]
        with use_backend(backend):
            opt = cls([dict(params=ps[:3]), dict(params=ps[3:], lr=0.02)], **kw)
            for step in range(4):
                for k, p in enumerate(ps):
                    p.grad = None if (step + k) % 3 == 0 else \
                        fastnn.tensor(rng.standard_normal(p.shape).astype(dtype))
                opt.step()
        results.append(([p._data.copy() for p in ps], opt.state_dict()))
    (pa, sa), (pb, sb) = results
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(x, y)
    assert sa["state"].keys() == sb["state"].keys()
    for k in sa["state"]:
        for name, v in sa["state"][k].items():
            w = sb["state"][k][name]
            if name == "step":
                assert v == w
            else:
                np.testing.assert_array_equal(v._data, w._data)


def test_fortran_ordered_parameter_falls_back_to_the_reference():
    kw = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
              maximize=False)
    a = _Group("adam", kw, np.float64, [(3, 4), (5,)])
    a.params[0] = np.asfortranarray(a.params[0])
    a.state["exp_avgs"][0] = np.asfortranarray(a.state["exp_avgs"][0])
    b = a.copy()
    grads = _grads(a, 0)
    a.step(nat, grads)
    b.step(ref, grads)
    _assert_same(a, b)


def test_mixed_dtypes_fall_back_to_the_reference():
    kw = dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False,
              maximize=False)
    a = _Group("sgd", kw, np.float32, [(3,), (4,)])
    a.params[1] = a.params[1].astype(np.float64)
    b = a.copy()
    grads = _grads(a, 0)
    a.step(nat, grads)
    b.step(ref, grads)
    _assert_same(a, b)
    assert a.state["momentum_buffers"][1].dtype == np.float64


# ---------------------------------------------------------------------------- bad input

def _adam_args(P=2, n=5, dtype=np.float32):
    mk = lambda: [np.zeros(n, dtype) for _ in range(P)]  # noqa: E731
    return dict(params=mk(), grads=mk(), exp_avgs=mk(), exp_avg_sqs=mk(), max_exp_avg_sqs=mk(),
                per=[0.1, 1.0] * P)


def _call_adam(args, amsgrad=True):
    kern.adam(args["params"], args["grads"], args["exp_avgs"], args["exp_avg_sqs"],
              args["max_exp_avg_sqs"], args["per"], 0.01, 0.9, 0.999, 1e-8, 0.0, amsgrad, False,
              False)


def _mutate(key, i, fn):
    def go(args):
        args[key][i] = fn(args[key][i])
    return go


BAD = [
    ("params", TypeError, lambda a: a.__setitem__("params", tuple(a["params"]))),
    ("grads", ValueError, lambda a: a["grads"].pop()),
    ("exp_avgs\\[1\\]", TypeError, _mutate("exp_avgs", 1, lambda x: x.astype(np.float64))),
    ("exp_avg_sqs\\[0\\]", ValueError, _mutate("exp_avg_sqs", 0, lambda x: np.zeros(6, x.dtype))),
    ("max_exp_avg_sqs\\[1\\]", ValueError,
     _mutate("max_exp_avg_sqs", 1, lambda x: np.zeros(10, x.dtype)[::2])),
    ("params\\[0\\]", ValueError, _mutate("params", 0, lambda x: (x.setflags(write=False), x)[1])),
    ("grads\\[1\\]", TypeError, _mutate("grads", 1, lambda x: list(x))),
    ("params\\[0\\]", TypeError, _mutate("params", 0, lambda x: x.astype(np.int32))),
    ("overlap", ValueError, lambda a: a["grads"].__setitem__(1, a["params"][1])),
    ("overlap", ValueError, lambda a: _share(a, np.zeros(8, np.float32))),
    ("scalars", ValueError, lambda a: a["per"].pop()),
]


def _share(args, buf):
    """Two state arrays that are views of one buffer and share three elements."""
    args["exp_avgs"][0], args["exp_avg_sqs"][0] = buf[:5], buf[3:]


@pytest.mark.parametrize("match,exc,spoil", BAD)
def test_kernel_rejects_bad_input_before_writing(match, exc, spoil):
    args = _adam_args()
    for a in args["grads"]:
        a += 1.0  # a step would change the parameters
    spoil(args)
    before = [a.copy() for a in args["params"] if isinstance(a, np.ndarray)]
    with pytest.raises(exc, match=match):
        _call_adam(args)
    for a, b in zip([a for a in args["params"] if isinstance(a, np.ndarray)], before):
        np.testing.assert_array_equal(a, b)


def test_misaligned_array_is_rejected():
    args = _adam_args()
    buf = np.zeros(5 * 4 + 1, np.uint8)
    mis = np.frombuffer(buf.data, dtype=np.float32, count=5, offset=1)
    assert not mis.flags.aligned
    args["exp_avgs"][1] = mis
    with pytest.raises(ValueError, match="exp_avgs\\[1\\]"):
        _call_adam(args)


def test_unused_state_lists_are_not_read():
    args = _adam_args()
    args["max_exp_avg_sqs"] = "not a list"
    _call_adam(args, amsgrad=False)


@pytest.mark.parametrize("mod", [nat, ref], ids=["native", "reference"])
def test_step_functions_reject_mismatched_groups(mod):
    p = [np.zeros(3, np.float32), np.zeros(4, np.float32)]
    g = [np.zeros(3, np.float32), np.zeros(5, np.float32)]
    with pytest.raises(ValueError, match="grads\\[1\\] must have shape \\(4,\\)"):
        mod.adagrad_step(p, g, [np.zeros(3, np.float32), np.zeros(4, np.float32)], [1, 1],
                         lr=0.1, lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False)
    with pytest.raises(ValueError, match="exp_avgs has 1 entries for 2 params"):
        mod.adam_step(p, p, [p[0]], p, None, [1, 1], lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8,
                      weight_decay=0.0, amsgrad=False, maximize=False)
    with pytest.raises(TypeError, match="params\\[0\\] must be floating point"):
        mod.sgd_step([np.zeros(3, np.int64)], [np.zeros(3, np.int64)], [None], lr=0.1,
                     momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                     maximize=False)


def test_optimizer_with_aliased_grad_matches_reference():
    """p.grad sharing p's memory: the kernel refuses, the reference's order applies."""
    res = []
    for backend in ("native", "numpy"):
        p = fastnn.tensor(np.linspace(-1, 1, 6), requires_grad=True)
        with use_backend(backend):
            opt = optim.RMSprop([p], lr=0.1, momentum=0.5)
            for _ in range(2):
                p.grad = fastnn.tensor(p._data)
                opt.step()
        res.append(p._data.copy())
    np.testing.assert_array_equal(res[0], res[1])
