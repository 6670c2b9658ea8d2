"""Per-thread state, as PyTorch keeps it: grad mode and inference mode belong to the
thread that sets them; default dtype and the RNG are process-wide; the backend is
process-wide as a call and per thread as a ``with`` block (fastnn.backends).

Several threads train and one serves ``no_grad`` inference at once; each trainer's
results must equal the single-threaded run bit for bit (the kernels are
thread-safe; only leaked state could change a result)."""
import threading

import numpy as np
import pytest

import fastnn
import fastnn.backends as backends
from fastnn import nn
from fastnn.nn import functional as F


def _in_thread(fn):
    """fn() run in a new thread; its result (or exception) comes back."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            out["error"] = e
    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    assert not t.is_alive(), "thread hung"
    if "error" in out:
        raise out["error"]
    return out["value"]


# --------------------------------------------------------------------------- grad mode
def test_issue_repro_no_grad_in_another_thread_does_not_leak():
    e1, e2 = threading.Event(), threading.Event()

    def server():
        with fastnn.no_grad():
            e1.set()
            e2.wait(30)
    t = threading.Thread(target=server)
    t.start()
    try:
        assert e1.wait(30)
        assert fastnn.is_grad_enabled()
        assert (fastnn.ones(3, requires_grad=True) * 2).requires_grad
    finally:
        e2.set()
        t.join()


def test_overlapping_no_grad_blocks_across_threads():
    """A enters, B enters, A exits, B exits: each thread sees only its own block, and
    afterwards grad mode is on everywhere (a process-wide flag ended up False)."""
    steps = [threading.Event() for _ in range(4)]
    seen = {}

    def a():
        seen["a_start"] = fastnn.is_grad_enabled()
        with fastnn.no_grad():
            seen["a_in"] = fastnn.is_grad_enabled()
            steps[0].set()
            steps[1].wait(30)       # B has entered
        seen["a_after"] = fastnn.is_grad_enabled()
        steps[2].set()

    def b():
        steps[0].wait(30)           # A is inside
        seen["b_start"] = fastnn.is_grad_enabled()
        with fastnn.no_grad():
            steps[1].set()
            steps[2].wait(30)       # A has exited
            seen["b_in_after_a_exit"] = fastnn.is_grad_enabled()
        seen["b_after"] = fastnn.is_grad_enabled()
        steps[3].set()

    ts = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert steps[3].is_set()
    assert seen == dict(a_start=True, a_in=False, b_start=True, a_after=True,
                        b_in_after_a_exit=False, b_after=True)
    assert fastnn.is_grad_enabled()


def test_new_thread_starts_with_grad_on_and_inference_off():
    with fastnn.no_grad():
        assert _in_thread(fastnn.is_grad_enabled) is True
    with fastnn.inference_mode():
        assert _in_thread(lambda: (fastnn.is_grad_enabled(),
                                   fastnn.is_inference_mode_enabled())) == (True, False)


def test_set_grad_enabled_call_stays_in_its_thread():
    def switch_off():
        fastnn.set_grad_enabled(False)
        return fastnn.is_grad_enabled()
    assert _in_thread(switch_off) is False
    assert fastnn.is_grad_enabled()
    x = fastnn.ones(2, requires_grad=True)
    assert (x * 2).requires_grad


def test_shared_no_grad_instance_entered_by_two_threads_and_reentered():
    ng = fastnn.no_grad()
    inside, release = threading.Event(), threading.Event()

    def hold():
        with ng:
            inside.set()
            release.wait(30)
        return fastnn.is_grad_enabled()
    t_result = {}
    t = threading.Thread(target=lambda: t_result.setdefault("v", hold()))
    t.start()
    assert inside.wait(30)
    with ng:                      # the same instance, entered while the thread is inside
        with ng:                  # and re-entered
            assert not fastnn.is_grad_enabled()
        assert not fastnn.is_grad_enabled()
    assert fastnn.is_grad_enabled()
    release.set()
    t.join(30)
    assert t_result["v"] is True


def test_decorator_forms():
    x = fastnn.ones(2, requires_grad=True)

    @fastnn.no_grad
    def bare(t):
        return t * 2

    @fastnn.set_grad_enabled(False)
    def off(t):
        return t * 2

    @fastnn.inference_mode
    def inf(t):
        return fastnn.is_inference_mode_enabled(), t * 2
    assert fastnn.is_grad_enabled()  # building the set_grad_enabled decorator switched nothing
    assert not bare(x).requires_grad and not off(x).requires_grad
    flag, y = inf(x)
    assert flag and not y.requires_grad
    assert fastnn.is_grad_enabled() and not fastnn.is_inference_mode_enabled()


def test_inference_mode_semantics_match_torch():
    torch = pytest.importorskip("torch")

    def probe(lib):
        out = []
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            with lib.inference_mode(False):
                out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
        with lib.inference_mode():
            out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
            with lib.enable_grad():  # grad mode on, yet nothing records
                out.append((lib.is_grad_enabled(), (x * 2).requires_grad))
            with lib.inference_mode(False):
                out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
        out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
        return out
    assert probe(fastnn) == probe(torch)


# --------------------------------------------------------------------------- training in threads
def _mlp():
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5))


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def _make_jobs():
    """(model, batches) per trainer, built in this thread so the RNG order is fixed."""
    rng = np.random.default_rng(7)
    jobs = []
    for k, make in enumerate((_mlp, _cnn, _mlp, _cnn)):
        fastnn.manual_seed(100 + k)
        model = make()
        shape = (16, 20) if make is _mlp else (16, 1, 8, 8)
        batches = [(fastnn.tensor(rng.standard_normal(shape).astype(np.float32)),
                    fastnn.tensor(rng.integers(0, 5, 16))) for _ in range(12)]
        jobs.append((model, batches))
    return jobs


def _train(model, batches):
    opt = fastnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(2):
        for x, y in batches:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_threads_training_while_one_serves_no_grad_equal_single_threaded():
    reference = [_train(m, b) for m, b in _make_jobs()]

    jobs = _make_jobs()
    server_model = _cnn()
    server_x = fastnn.randn(8, 1, 8, 8)
    stop = threading.Event()
    served = []
    errors = []
    start = threading.Barrier(len(jobs) + 1)

    def serve():
        start.wait(30)
        try:
            while not stop.is_set():
                with fastnn.no_grad():
                    served.append(server_model(server_x).requires_grad)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    results = [None] * len(jobs)

    def trainer(i):
        start.wait(30)
        try:
            results[i] = _train(*jobs[i])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    server = threading.Thread(target=serve)
    trainers = [threading.Thread(target=trainer, args=(i,)) for i in range(len(jobs))]
    server.start()
    for t in trainers:
        t.start()
    for t in trainers:
        t.join(300)
    stop.set()
    server.join(60)
    assert not errors, errors[:3]
    assert served and not any(served)
    for (want_losses, want_params), (got_losses, got_params) in zip(reference, results):
        assert got_losses == want_losses
        for w, g in zip(want_params, got_params):
            np.testing.assert_array_equal(g, w)


# --------------------------------------------------------------------------- backend selection
def test_backend_block_switches_its_thread_only():
    base = backends.current_cpu_backend()
    inside, release = threading.Event(), threading.Event()

    def hold():
        with fastnn.use_backend("numpy"):
            seen = backends.current_cpu_backend().name
            inside.set()
            release.wait(30)
        return seen, backends.current_cpu_backend()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("v", hold()))
    t.start()
    assert inside.wait(30)
    try:
        assert backends.current_cpu_backend() is base
        assert _in_thread(backends.current_cpu_backend) is base
    finally:
        release.set()
        t.join(30)
    assert out["v"] == ("numpy", base)


def test_backend_blocks_overlapping_across_threads_restore_their_own():
    if not backends.native_available():
        pytest.skip("native kernels not built")
    steps = [threading.Event() for _ in range(3)]
    seen = {}

    def a():
        with fastnn.use_backend("numpy"):
            steps[0].set()
            steps[1].wait(30)
        seen["a_after"] = backends.current_cpu_backend().name
        steps[2].set()

    def b():
        steps[0].wait(30)
        with fastnn.use_backend("native"):
            with fastnn.use_backend("numpy"):
                steps[1].set()
                steps[2].wait(30)
                seen["b_in"] = backends.current_cpu_backend().name
            seen["b_mid"] = backends.current_cpu_backend().name
    ts = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert seen == {"a_after": "native", "b_in": "numpy", "b_mid": "native"}
    assert backends.current_cpu_backend().name == "native"


def test_backend_call_is_process_wide_and_block_never_switches_the_process(monkeypatch):
    base = backends.current_process_backend()
    other = "numpy" if base.name == "native" else "native"
    if other == "native" and not backends.native_available():
        pytest.skip("native kernels not built")
    # Every process-wide switch is followed by a BLAS policy update: record what the
    # process-wide choice was at each one.
    seen = []
    real = backends._threads.apply_policy
    monkeypatch.setattr(backends._threads, "apply_policy",
                        lambda: (seen.append(backends.current_process_backend().name), real()))
    with fastnn.use_backend(other):
        assert backends.current_cpu_backend().name == other
        assert _in_thread(lambda: backends.current_cpu_backend()) is base
    assert seen and set(seen) == {base.name}
    try:
        fastnn.use_backend(other)  # a call: every thread without a block of its own
        assert _in_thread(lambda: backends.current_cpu_backend().name) == other
    finally:
        fastnn.use_backend(base.name)
    # an object made by a call and entered later becomes this thread's switch
    cm = fastnn.use_backend(other)
    with cm:
        assert backends.current_process_backend() is base
        assert backends.current_cpu_backend().name == other
    assert backends.current_cpu_backend() is base


# --------------------------------------------------------------------------- process-wide state
def test_default_dtype_is_process_wide_like_torch():
    torch = pytest.importorskip("torch")
    for lib in (fastnn, torch):
        lib.set_default_dtype(lib.float64)
        try:
            assert _in_thread(lib.get_default_dtype) == lib.float64
        finally:
            lib.set_default_dtype(lib.float32)


def test_manual_seed_in_one_thread_seeds_all_and_seed_reseeds():
    _in_thread(lambda: fastnn.manual_seed(5))
    a = fastnn.rand(4).numpy()
    fastnn.manual_seed(5)
    np.testing.assert_array_equal(fastnn.rand(4).numpy(), a)
    s = fastnn.random.seed()
    assert isinstance(s, int)
    b = fastnn.rand(4).numpy()
    fastnn.manual_seed(s)
    np.testing.assert_array_equal(fastnn.rand(4).numpy(), b)


def test_concurrent_draws_from_the_default_generator():
    fastnn.manual_seed(0)
    out = []

    def draw():
        for _ in range(200):
            out.append(fastnn.rand(8).numpy())
    ts = [threading.Thread(target=draw) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    got = np.sort(np.concatenate(out))
    fastnn.manual_seed(0)
    want = np.sort(np.concatenate([fastnn.rand(8).numpy() for _ in range(800)]))
    np.testing.assert_array_equal(got, want)  # the same numbers, in some order
