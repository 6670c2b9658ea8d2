"""Ctrl-C inside long native kernels (common/interrupt.h, docs/interrupts.md).

Each check runs in a fresh Python process (this file, run as a script), which
sends itself SIGINT from a timer thread while one native kernel, sized to run
for seconds, holds the main thread, and records how long KeyboardInterrupt
took to arrive after the signal. The same process then runs the same op
again on a small input: the result must be bit-identical to the one it
computed before the interrupt and match the NumPy reference, so nothing (the
GEMM's scratch slots, a team left at a barrier, a flag left set) outlives the
interrupt.

Latencies are measured, never held to a tight bound: the machines are shared,
so the bound (LATENCY_BOUND) is generous. The long inputs are sized for
TARGET_SECONDS of work (from a timed shorter run of the same kernel, within
MAX_BYTES), and the call must end in less than half its estimated length,
so a pass means the kernel stopped early. The measured latencies are
printed (pytest -s).
"""
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

HERE = os.path.abspath(__file__)
LATENCY_BOUND = 1.5      # seconds from the signal to KeyboardInterrupt
TARGET_SECONDS = 5.0     # what the long inputs are sized for
MAX_BYTES = 400 << 20    # ... unless their arrays would pass this
SIGNAL_AFTER = 0.3       # seconds into the long kernel


# ============================================================================ the child side

def _rng_fill(shape, dtype, seed=0):
    """A large array filled from a small random block (fast to make, finite values)."""
    block = np.random.default_rng(seed).standard_normal(4099).astype(dtype) * 0.5
    return np.resize(block, shape)


def _grow(a, axis, n):
    """a repeated along `axis` to length n (a backward's saved arrays for a long
    input, from a short forward: the values stay finite and plausible)."""
    reps = [1] * a.ndim
    reps[axis] = -(-n // a.shape[axis])
    return np.ascontiguousarray(np.tile(a, reps)[(slice(None),) * axis + (slice(0, n),)])


def _rnn_case(kind, dtype, backward):
    """Over T (steps) for one recurrent family: one layer, batch 1, wide H, so
    steps are long (a big recurrent product) and take little memory."""
    from fastnn.backends.native import rnn as nat
    from fastnn.backends.numpy_ref import rnn as ref
    G = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    B, I, H, SHORT = 1, 16, 1024, 6

    def build(T, mod=nat):
        h0 = _rng_fill((B, H), dtype, 2)
        w_ih = _rng_fill((G * H, I), dtype, 3) * 0.1
        w_hh = _rng_fill((G * H, H), dtype, 4) * float(0.5 / np.sqrt(H))
        b = _rng_fill((G * H,), dtype, 5)
        state = (h0, _rng_fill((B, H), dtype, 6)) if kind == "lstm" else (h0,)
        fwd = getattr(mod, kind + "_forward")
        if not backward:
            x = _rng_fill((T, B, I), dtype, 1)
            return lambda: list(fwd(x, *state, w_ih, w_hh, b, b)[:-1])
        saved = fwd(_rng_fill((SHORT, B, I), dtype, 1), *state, w_ih, w_hh, b, b)[-1]
        per_step = {f.name: getattr(saved, f.name) for f in dataclasses.fields(saved)}
        saved = dataclasses.replace(saved, **{
            k: _grow(v, 0, T) for k, v in per_step.items()
            if isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[0] == SHORT})
        dy = _rng_fill((T, B, H), dtype, 7)
        dstate = (_rng_fill((B, H), dtype, 8),) * len(state)
        bwd = getattr(mod, kind + "_backward")
        return lambda: [a for a in bwd(dy, *dstate, saved) if a is not None]

    per_step = (I + (2 + G + (2 * G if backward else 0)) * H) * B * np.dtype(dtype).itemsize
    return dict(build=build, ref=ref, small=SHORT, cal=24, unit_bytes=per_step,
                fixed_bytes=4 * G * H * H * np.dtype(dtype).itemsize)


class _DepthwiseRef:
    """The depthwise convolution (one input channel per group, stride 1) as sums
    of shifted slices: the reference module's im2col would need gigabytes for
    the 31x31 kernels these cases use to make the kernel long."""

    @staticmethod
    def conv2d_forward(x, w, b, stride, pad, dilation, groups):
        k = w.shape[2]
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        ho, wo = xp.shape[2] - k + 1, xp.shape[3] - k + 1
        y = np.zeros(x.shape[:2] + (ho, wo), x.dtype) + b.reshape(1, -1, 1, 1)
        for i in range(k):
            for j in range(k):
                y += w[None, :, 0, i, j, None, None] * xp[:, :, i:i + ho, j:j + wo]
        return y, (x, w, pad)

    @staticmethod
    def conv2d_backward(dy, saved):
        x, w, pad = saved
        k = w.shape[2]
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(w)
        ho, wo = dy.shape[2:]
        for i in range(k):
            for j in range(k):
                dxp[:, :, i:i + ho, j:j + wo] += w[None, :, 0, i, j, None, None] * dy
                dw[:, 0, i, j] = (dy * xp[:, :, i:i + ho, j:j + wo]).sum(axis=(0, 2, 3))
        dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
        return dx, dw, dy.sum(axis=(0, 2, 3))


def _conv_case(path, dtype, backward):
    """Over N (batch) for one convolution path."""
    from fastnn.backends.native import conv as nat
    from fastnn.backends.numpy_ref import conv as ref
    C, O, H, k, pad, groups = {  # few bytes per sample, many multiply-adds
        "winograd": (512, 512, 8, 3, 1, 1),
        "packed": (256, 256, 12, 5, 2, 1),
        "grouped": (256, 256, 12, 5, 2, 2),   # im2col + GEMM
        "depthwise": (64, 64, 64, 31, 15, 64),
        "image": (128, 128, 128, 7, 3, 1),   # one tall image, over its rows: polled per chunk
    }[path]
    SHORT = 1 if path == "depthwise" else 2

    def build(N, mod=nat):
        w = _rng_fill((O, C // groups, k, k), dtype, 2) * 0.1
        b = _rng_fill((O,), dtype, 3)
        if not backward:
            x = _rng_fill((1, C, N, H) if path == "image" else (N, C, H, H), dtype, 1)
            return lambda: [mod.conv2d_forward(x, w, b, 1, pad, 1, groups)[0]]
        y, saved = mod.conv2d_forward(_rng_fill((SHORT, C, H, H), dtype, 1), w, b, 1, pad, 1,
                                      groups)
        if isinstance(saved, tuple):  # _DepthwiseRef's own
            saved = (_grow(saved[0], 0, N),) + saved[1:]
        else:
            saved = dataclasses.replace(saved, x=_grow(saved.x, 0, N))
        dy = _rng_fill((N,) + y.shape[1:], dtype, 4)
        return lambda: [a for a in mod.conv2d_backward(dy, saved) if a is not None]

    per_sample = (C * (2 if backward else 1) + O * 2) * H * H * np.dtype(dtype).itemsize
    if path == "image":
        SHORT, per_sample = 8, (C + O * 2) * H * np.dtype(dtype).itemsize
    return dict(build=build, ref=_DepthwiseRef if path == "depthwise" else ref, small=SHORT,
                cal=4 * SHORT, unit_bytes=per_sample,
                fixed_bytes=O * (C // groups) * k * k * np.dtype(dtype).itemsize * 8)


def _gemm_case(dtype, batched):
    """Over m (rows of the product) for fastnn's own GEMM (the default matmul
    sends one-thread products to NumPy's BLAS, which fastnn cannot stop)."""
    from fastnn.backends.native import gemm as nat
    K, N = 2048, 2048
    b_shared = _rng_fill((K, N), dtype, 2)   # one copy for every size

    def build(m, mod=nat):
        a = _rng_fill((m, K), dtype, 1)
        b = b_shared
        if mod is None:
            return lambda: [a @ b]
        if batched:   # m is a multiple of 4 here
            a3 = a.reshape(4, m // 4, K)
            b3 = np.ascontiguousarray(np.broadcast_to(b, (4, K, N)))
            # fastnn_matmul: batched_matmul may route to BLAS (the portable-C level does)
            return lambda: [mod.fastnn_matmul(a3, b3).reshape(m, N)]
        return lambda: [mod.fastnn_matmul(a, b)]

    return dict(build=build, ref=None, small=64, cal=256,
                unit_bytes=(K + N) * np.dtype(dtype).itemsize, fixed_bytes=2 * K * N * np.dtype(dtype).itemsize)


def _pool_case(kind, dtype, backward):
    """Over planes for one pooling op, with big windows (many reads per output)."""
    from fastnn.backends.native import pool as nat
    from fastnn.backends.numpy_ref import pool as ref
    H, SHORT = 64, 2
    args = {"max": (31, 1, 15), "avg": (31, 1, 15), "adaptive": ((40, 40),)}[kind]
    name = {"max": "max_pool2d", "avg": "avg_pool2d", "adaptive": "adaptive_avg_pool2d"}[kind]

    def build(P, mod=nat):
        fwd = getattr(mod, name + "_forward")
        if not backward:
            x = _rng_fill((1, P, H, H), dtype, 1)
            return lambda: [fwd(x, *args)[0]]
        y, saved = fwd(_rng_fill((1, SHORT, H, H), dtype, 1), *args)
        # grow the input shape (and max's argmax) along the planes
        grown = dict(indices=_grow(saved.indices, 1, P)) if kind == "max" else {}
        saved = dataclasses.replace(saved, x_shape=(1, P, H, H), **grown)
        dy = _rng_fill((1, P) + y.shape[2:], dtype, 2)
        return lambda: [getattr(mod, name + "_backward")(dy, saved)]

    return dict(build=build, ref=ref, small=SHORT, cal=16,
                unit_bytes=H * H * 4 * np.dtype(dtype).itemsize, fixed_bytes=0)


def _case(name):
    parts = name.split("-")
    dtype = np.float32 if "f32" in parts else np.float64
    if parts[0] in ("rnn", "lstm", "gru"):
        return _rnn_case(parts[0], dtype, parts[2] == "bwd")
    if parts[0] == "conv":
        return _conv_case(parts[1], dtype, parts[3] == "bwd")
    if parts[0] == "gemm":
        return _gemm_case(dtype, parts[1] == "batched")
    if parts[0] == "pool":
        return _pool_case(parts[1], dtype, parts[3] == "bwd")
    raise ValueError(name)


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _interrupt_during(fn, after):
    """Run fn, sending this process SIGINT `after` seconds in: (seconds from the
    signal to KeyboardInterrupt or None if fn returned, seconds fn ran)."""
    sent = []

    def fire():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(after, fire)
    t0 = time.perf_counter()
    timer.start()
    try:
        fn()
        latency = None
    except KeyboardInterrupt:
        latency = time.perf_counter() - sent[0] if sent else -1.0
    ran = time.perf_counter() - t0
    timer.cancel()
    try:   # fn returned before the signal: let a late one land here
        timer.join()
        time.sleep(0.01)
    except KeyboardInterrupt:
        pass
    return latency, ran


def run_case(name):
    """One case: the small input's result (checked against the reference), a
    long run interrupted SIGNAL_AFTER seconds in, the small input again."""
    c = _case(name)
    small = c["build"](c["small"])
    before = small()
    want = c["build"](c["small"], c["ref"])()
    tol = 2e-3 if "f32" in name else 1e-9
    for a, r in zip(before, want):
        np.testing.assert_allclose(a, r, rtol=tol, atol=tol)
    _, t_cal = _timed(c["build"](c["cal"]))   # cold: errs long, so the input errs short
    unit_time = t_cal / c["cal"]
    budget = (MAX_BYTES - c["fixed_bytes"]) // c["unit_bytes"]
    units = max(4, int(min(TARGET_SECONDS / unit_time, budget)) // 4 * 4)
    latency, ran = _interrupt_during(c["build"](units), SIGNAL_AFTER)
    after = small()
    same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(before, after))
    return dict(case=name, latency=latency, ran=ran, full_estimate=unit_time * units,
                units=units, same_after=same)


def run_custom_handler(when):
    """SIGINT during a kernel while a handler of the user's own is installed
    (before or after importing fastnn): fastnn must leave it in charge, so the
    kernel runs to its end and the handler is called once, with no
    KeyboardInterrupt."""
    calls = []

    def handler(signum, frame):
        calls.append(signum)

    if when == "before":
        signal.signal(signal.SIGINT, handler)
    import fastnn  # noqa: F401
    from fastnn.backends.native import interrupt_handler_installed
    installed_at_import = interrupt_handler_installed()
    if when == "after":
        signal.signal(signal.SIGINT, handler)
    c = _case("lstm-f32-fwd")
    ref = c["build"](c["small"])()
    T = 400
    fn = c["build"](T)
    _, t_full = _timed(fn)
    latency, ran = _interrupt_during(fn, min(0.3, t_full / 3))
    got = c["build"](c["small"])()
    return dict(installed_at_import=installed_at_import, installed_now=interrupt_handler_installed(),
                calls=len(calls), interrupted=latency is not None, ran=ran, t_full=t_full,
                same=all(np.array_equal(a, b) for a, b in zip(ref, got)))


def run_threads():
    """A kernel on another thread runs to its end (only the main thread takes
    KeyboardInterrupt), while the main thread's own kernel stops."""
    from fastnn.backends.native import interrupt_handler_installed
    c = _case("lstm-f64-fwd")
    cal = c["build"](c["cal"])
    cal()
    _, t_cal = _timed(cal)
    steps = int(c["cal"] * 1.0 / t_cal) + 1    # ~1 s alone, longer beside the main thread's
    want = c["build"](steps)()
    worker_fn = c["build"](steps)
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("out", worker_fn()))
    main_fn = c["build"](steps * 4)
    worker.start()
    latency, _ = _interrupt_during(main_fn, 0.2)
    still_running = worker.is_alive()
    worker.join()
    return dict(installed=interrupt_handler_installed(), main_latency=latency,
                worker_was_running=still_running,
                worker_same=all(np.array_equal(a, b) for a, b in zip(want, box["out"])))


def run_stale():
    """Ctrl-C while Python code runs (no kernel): KeyboardInterrupt as usual,
    and the next kernel runs to its end with the same result."""
    c = _case("gru-f32-fwd")
    fn = c["build"](c["small"])
    want = fn()
    got_ki = False
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            time.sleep(0.001)
    except KeyboardInterrupt:
        got_ki = True
    return dict(got_ki=got_ki, same=all(np.array_equal(a, b) for a, b in zip(want, fn())))


def run_rearm():
    """signal.signal(SIGINT, default_int_handler), as Jupyter does around every
    cell, removes fastnn's C handler; the next native call puts it back, so a
    long kernel still stops at once."""
    from fastnn.backends.native import interrupt_handler_installed
    signal.signal(signal.SIGINT, signal.default_int_handler)
    removed = not interrupt_handler_installed()
    time.sleep(0.15)   # the wrappers look at most every 100 ms
    r = run_case("lstm-f32-fwd")
    r.update(removed=removed, back=interrupt_handler_installed())
    return r


def run_autograd():
    """Ctrl-C in an nn.LSTM's forward and in its backward: afterwards the same
    module trains on as if nothing happened (same loss and gradients as a
    process that was never interrupted)."""
    import fastnn
    from fastnn import nn
    fastnn.manual_seed(0)
    lstm = nn.LSTM(16, 512)
    x_long = fastnn.tensor(_rng_fill((6000, 1, 16), np.float32, 1))
    x = fastnn.tensor(_rng_fill((5, 2, 16), np.float32, 2))

    def step():
        for p in lstm.parameters():
            p.grad = None
        loss = (lstm(x)[0] ** 2).sum()
        loss.backward()
        return [loss.detach().numpy()] + [p.grad.numpy().copy() for p in lstm.parameters()]

    want = step()
    lat_fwd, _ = _interrupt_during(lambda: lstm(x_long), 0.2)
    y = lstm(x_long)[0]
    loss = (y ** 2).sum()
    for p in lstm.parameters():
        p.grad = None
    lat_bwd, _ = _interrupt_during(loss.backward, 0.05)
    got = step()
    return dict(lat_fwd=lat_fwd, lat_bwd=lat_bwd,
                same=all(np.array_equal(a, b) for a, b in zip(want, got)))


def _child(argv):
    kind = argv[0]
    if kind == "custom":   # must set its handler before importing fastnn
        print("RESULT " + json.dumps(run_custom_handler(argv[1])), flush=True)
        return
    if kind == "cases":
        import fastnn
        fastnn.set_num_threads(int(argv[1]))
        for name in argv[2:]:
            print("RESULT " + json.dumps(run_case(name)), flush=True)
        return
    import fastnn  # noqa: F401 (the handler goes in at import)
    fn = {"threads": run_threads, "stale": run_stale, "autograd": run_autograd,
          "rearm": run_rearm}[kind]
    print("RESULT " + json.dumps(fn()), flush=True)


# ============================================================================ the pytest side

# (No fastnn import at module level: the child of the "custom" test must set
# its own handler before fastnn is imported.)
pytestmark = pytest.mark.skipif(sys.platform == "win32",
                                reason="no sigaction: fastnn installs no SIGINT handler here")


def _run(*args, env=None, timeout=240):
    from fastnn._child import package_root
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("FASTNN_FAST_INTERRUPT", None)
    proc = subprocess.run([sys.executable, HERE] + list(args), capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=package_root())
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return [json.loads(ln[7:]) for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]


# Every family at both thread counts, each direction and precision at least
# once; 2 threads for the float32 persistent teams and the threaded GEMM (at one
# thread fastnn sends products to NumPy's BLAS; see _gemm_case).
CASES = {
    1: ["rnn-f64-bwd", "lstm-f64-fwd", "lstm-f64-bwd", "gru-f64-fwd", "gru-f32-fwd",
        "conv-packed-f64-bwd", "conv-grouped-f64-fwd", "conv-depthwise-f32-fwd",
        "conv-depthwise-f64-bwd", "conv-image-f32-fwd", "gemm-single-f64", "pool-avg-f64-bwd"],
    2: ["rnn-f32-fwd", "lstm-f32-fwd", "lstm-f32-bwd", "gru-f32-bwd", "rnn-f64-fwd",
        "conv-winograd-f32-fwd", "conv-winograd-f32-bwd", "conv-packed-f32-fwd",
        "conv-grouped-f32-bwd", "conv-image-f32-fwd", "gemm-single-f32", "gemm-batched-f32",
        "pool-max-f32-fwd"],
}


def _check_cases(threads, cases):
    results = _run("cases", str(threads), *cases, env={"FASTNN_PAR_MIN_SCALE": "0"})
    assert [r["case"] for r in results] == cases
    lines = []
    bad = []
    for r in results:
        lines.append(f"{threads} thr {r['case']:24s} latency {r['latency']!s:.6}s "
                     f"(uninterrupted ~{r['full_estimate']:.1f}s)")
        if (r["latency"] is None or not 0 <= r["latency"] < LATENCY_BOUND
                or r["ran"] > 0.5 * r["full_estimate"] or not r["same_after"]):
            bad.append(r)
    print("\n" + "\n".join(lines))
    assert not bad, bad


@pytest.mark.parametrize("threads", [1, 2])
def test_long_kernels_stop_on_ctrl_c(threads):
    _check_cases(threads, CASES[threads])


@pytest.mark.parametrize("when", ["before", "after"])
def test_users_own_handler_stays_in_charge(when):
    (r,) = _run("custom", when)
    assert r["installed_at_import"] == (when == "after")
    assert not r["installed_now"]
    assert r["calls"] == 1 and not r["interrupted"] and r["same"], r


def test_kernel_on_another_thread_runs_to_its_end():
    (r,) = _run("threads")
    assert r["installed"]
    assert r["main_latency"] is not None and r["main_latency"] < LATENCY_BOUND, r
    assert r["worker_was_running"] and r["worker_same"], r


def test_ctrl_c_outside_a_kernel_leaves_nothing_behind():
    (r,) = _run("stale")
    assert r["got_ki"] and r["same"], r


def test_handler_comes_back_after_default_is_restored():
    (r,) = _run("rearm")
    assert r["removed"] and r["back"], r
    assert r["latency"] is not None and r["latency"] < LATENCY_BOUND, r
    assert r["ran"] < 0.5 * r["full_estimate"] and r["same_after"], r


def test_autograd_state_survives_an_interrupt():
    (r,) = _run("autograd")
    assert r["lat_fwd"] is not None and r["lat_fwd"] < LATENCY_BOUND, r
    assert r["lat_bwd"] is not None and r["lat_bwd"] < LATENCY_BOUND, r
    assert r["same"], r


def test_install_rules():
    """Installed at import on the main thread, not with FASTNN_FAST_INTERRUPT=0,
    not when Ctrl-C is ignored, not from an import on another thread; after
    signal.signal() put the default handler back, the next native call puts
    fastnn's back (not after a handler of the user's own), as does
    install_interrupt_handler()."""
    code = """if True:
        import json, signal, sys, threading, time
        import numpy as np
        mode = sys.argv[1]
        if mode == "ignored":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if mode == "thread":
            t = threading.Thread(target=lambda: __import__("fastnn")); t.start(); t.join()
        import fastnn
        from fastnn.backends import native
        from fastnn.backends.native import gemm
        a = np.ones((64, 64), np.float32)

        def call_kernel():
            time.sleep(0.12)   # the wrappers look at most every 100 ms
            gemm.fastnn_matmul(a, a)

        out = {"at_import": native.interrupt_handler_installed()}
        signal.signal(signal.SIGINT, lambda *args: None)
        call_kernel()
        out["user_handler_kept"] = not native.interrupt_handler_installed()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        out["after_signal"] = native.interrupt_handler_installed()
        call_kernel()
        out["after_kernel"] = native.interrupt_handler_installed()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        out["reinstall"] = native.install_interrupt_handler()
        print("RESULT " + json.dumps(out))
    """
    from fastnn._child import package_root
    got = {}
    for mode, env in [("plain", {}), ("off", {"FASTNN_FAST_INTERRUPT": "0"}),
                      ("ignored", {}), ("thread", {})]:
        full_env = dict(os.environ, **env)
        if not env:
            full_env.pop("FASTNN_FAST_INTERRUPT", None)
        proc = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True,
                              timeout=60, env=full_env, cwd=package_root())
        assert proc.returncode == 0, proc.stderr[-3000:]
        got[mode] = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert got["plain"] == {"at_import": True, "user_handler_kept": True, "after_signal": False,
                            "after_kernel": True, "reinstall": True}
    # off: not at import nor by a native call; only when asked
    assert got["off"] == {"at_import": False, "user_handler_kept": True, "after_signal": False,
                          "after_kernel": False, "reinstall": True}
    assert got["ignored"]["at_import"] is False
    # imported on another thread: the main thread is unknown, nothing is installed
    assert got["thread"]["at_import"] is False and got["thread"]["after_kernel"] is False
    assert got["thread"]["reinstall"] is True


if __name__ == "__main__":
    _child(sys.argv[1:])
