"""Recurrent kernel benchmarks: LSTM and GRU sequences (T=50, B=32, I=128, H=256,
float32) forward and forward+backward, and batch-1 single-step latency;
reference vs native vs torch.nn.LSTM/GRU (LSTMCell/GRUCell for the single
step) when installed, 1 and 2 threads.
Compare within a group (same case and thread count); quote ratios from one run.

    .venv/bin/pytest benchmarks/bench_rnn.py --benchmark-group-by=group \\
        --benchmark-columns=median,iqr,rounds

or, for a ratio table from a single run:

    .venv/bin/python benchmarks/bench_rnn.py
"""
import time

import numpy as np
import pytest

import fastnn
from fastnn.backends.numpy_ref import rnn as ref

try:
    from fastnn.backends.native import rnn as nat
except ImportError:  # native kernels not built
    nat = None

SEQ = dict(T=50, B=32, I=128, H=256)
STEP = dict(T=1, B=1, I=128, H=256)
CASES = {  # name: (kind, shape, backward?)
    "lstm_seq_fwd": ("lstm", SEQ, False),
    "lstm_seq_fwdbwd": ("lstm", SEQ, True),
    "gru_seq_fwd": ("gru", SEQ, False),
    "gru_seq_fwdbwd": ("gru", SEQ, True),
    "lstm_step_b1": ("lstm", STEP, False),
    "gru_step_b1": ("gru", STEP, False),
}
IMPLS = ["reference", "native", "torch"]


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _set_threads(n):
    fastnn.set_num_threads(n)
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(n)


def make_runner(impl, case):
    """A no-argument callable running ``case`` with ``impl``, or None when unavailable."""
    kind, s, with_backward = CASES[case]
    T, B, I, H = s["T"], s["B"], s["I"], s["H"]
    G = 4 if kind == "lstm" else 3
    rng = np.random.default_rng(0)
    k = 1 / np.sqrt(H)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    h0 = np.zeros((B, H), np.float32)
    w_ih = rng.uniform(-k, k, (G * H, I)).astype(np.float32)
    w_hh = rng.uniform(-k, k, (G * H, H)).astype(np.float32)
    b_ih = rng.uniform(-k, k, G * H).astype(np.float32)
    b_hh = rng.uniform(-k, k, G * H).astype(np.float32)
    dy = np.ones((T, B, H), np.float32)

    if impl == "torch":
        torch = _torch()
        if torch is None:
            return None
        if T == 1:  # a single step: the cell module is torch's fastest path
            net = (torch.nn.LSTMCell if kind == "lstm" else torch.nn.GRUCell)(I, H)
            sfx = ""
        else:
            net = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(I, H)
            sfx = "_l0"
        with torch.no_grad():
            getattr(net, "weight_ih" + sfx).copy_(torch.from_numpy(w_ih))
            getattr(net, "weight_hh" + sfx).copy_(torch.from_numpy(w_hh))
            getattr(net, "bias_ih" + sfx).copy_(torch.from_numpy(b_ih))
            getattr(net, "bias_hh" + sfx).copy_(torch.from_numpy(b_hh))
        xt = torch.from_numpy(x[0] if T == 1 else x)
        if with_backward:
            xt = xt.clone().requires_grad_()
            dyt = torch.from_numpy(dy)

            def run():
                y = net(xt)[0]
                y.backward(dyt)
        else:
            def run():
                with torch.no_grad():
                    net(xt)
        return run

    mod = ref if impl == "reference" else nat
    if mod is None:
        return None
    if kind == "lstm":
        def fwd():
            return mod.lstm_forward(x, h0, h0, w_ih, w_hh, b_ih, b_hh)

        def bwd(saved):
            mod.lstm_backward(dy, None, None, saved)
    else:
        def fwd():
            return mod.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)

        def bwd(saved):
            mod.gru_backward(dy, None, saved)
    if with_backward:
        return lambda: bwd(fwd()[-1])
    return fwd


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", list(CASES))
def test_rnn(benchmark, case, impl, threads):
    run = make_runner(impl, case)
    if run is None:
        pytest.skip(f"{impl} not available")
    _set_threads(threads)
    benchmark.group = f"{case} threads={threads}"
    benchmark(run)


def _best(run, min_time=0.3, repeat=5):
    run()
    n, t = 1, 0.0
    while True:  # calibrate a batch of calls lasting about min_time / repeat
        t0 = time.perf_counter()
        for _ in range(n):
            run()
        t = time.perf_counter() - t0
        if t >= min_time / repeat or n >= 1 << 16:
            break
        n *= 2
    best = t / n
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            run()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main():
    print(f"{'case':<18}{'thr':>4}{'reference':>12}{'native':>12}{'torch':>12}"
          f"{'ref/nat':>10}{'nat/torch':>11}")
    for case in CASES:
        for threads in (1, 2):
            _set_threads(threads)
            times = {}
            for impl in IMPLS:
                run = make_runner(impl, case)
                times[impl] = _best(run) if run is not None else None
            fmt = lambda v: f"{v * 1e3:10.3f}ms" if v else f"{'-':>12}"  # noqa: E731
            r1 = times["reference"] / times["native"] if times["native"] else float("nan")
            r2 = (times["native"] / times["torch"]
                  if times["native"] and times["torch"] else float("nan"))
            print(f"{case:<18}{threads:>4}{fmt(times['reference'])}{fmt(times['native'])}"
                  f"{fmt(times['torch'])}{r1:>9.2f}x{r2:>10.2f}x")


if __name__ == "__main__":
    main()
