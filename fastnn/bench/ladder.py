"""``python -m fastnn.bench --ladder``: the GEMM ladder's rungs
(fastnn/backends/native/ladder) and fastnn's own GEMM, in GFLOP/s on this
machine, each rung's speed-up over the one below it and its share of the
machine's peak (roofline.py).

Like the standard set, the timing runs in fresh processes at the settings a
user gets: one worker per round (``python -m fastnn.bench.ladder SPEC``), no
``set_num_threads`` call except around the "fastnn GEMM, 1 thread" row. Each
round times the entries in a rotated order, and the table shows the median
round. A rung whose call would take longer than ``max_call_s`` (estimated
from the size below) is left out at that size: the naive loop at 1024^3 takes
seconds. A second table does the same for the convolution ladder's rungs on
two 3x3 layers, against fastnn's native convolution, all on one thread.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# (row name, rung or None for fastnn's GEMM, threads: 1, or None for fastnn's count)
ENTRIES = [
    ("1 naive", "naive", 1),
    ("2 loop_order", "loop_order", 1),
    ("3 blocked", "blocked", 1),
    ("4 packed", "packed", 1),
    ("5 threads", "threads", None),
    ("fastnn GEMM, 1 thread", None, 1),
    ("fastnn GEMM", None, None),
]


# The convolution ladder: 3x3 layers with padding 1, all on one thread.
# (row name, rung or None for fastnn's native conv2d_forward)
CONV_ENTRIES = [("1 direct", "direct"), ("2 im2col", "im2col"), ("3 winograd", "winograd"),
                ("fastnn conv2d, 1 thread", None)]
CONV_LAYERS = [(8, 64, 64, 32), (8, 128, 128, 16)]  # (N, C, O, H = W)


def conv_name(layer):
    n, c, o, hw = layer
    return f"N{n} {c}->{o} 3x3 {hw}x{hw} p1"


def conv_flops(layer):
    """The direct formula's flops: Winograd's GFLOP/s are 'effective' ones."""
    n, c, o, hw = layer
    return 2.0 * n * o * c * 9 * hw * hw


def _conv_callable(rung, x, w):
    from ..backends import backend
    from ..backends.native import ladder
    if rung is None:
        native = backend("native")
        return lambda: native.conv2d_forward(x, w, None, 1, 1, 1, 1)
    return lambda: ladder.conv2d(x, w, rung=rung, padding=1)


def _time(fn, target_s):
    """Seconds per call: one warm-up call sets how many calls fill ``target_s``."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    loops = max(1, int(target_s / max(first, 1e-9)))
    t0 = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - t0) / loops


def _callable(rung, a, b):
    from ..backends.native import gemm, ladder
    if rung is None:
        return lambda: gemm.fastnn_matmul(a, b)
    return lambda: ladder.matmul(a, b, rung=rung)


def worker(spec_path):
    """One round in this (fresh) process: every entry at every size, as JSON."""
    import numpy as np
    import fastnn
    with open(spec_path) as fh:
        spec = json.load(fh)
    default_threads = fastnn.get_num_threads()
    g = np.random.default_rng(0)
    times = {}
    order = ENTRIES[spec["rotate"] % len(ENTRIES):] + ENTRIES[:spec["rotate"] % len(ENTRIES)]
    prev = None
    for n in sorted(spec["sizes"]):
        a = g.standard_normal((n, n)).astype(np.float32)
        b = g.standard_normal((n, n)).astype(np.float32)
        for name, rung, threads in order:
            below = times.get(name, {}).get(str(prev))
            if prev is not None and (below is None or below * (n / prev) ** 3 > spec["max_call_s"]):
                continue    # too slow at the size below already
            if threads is not None:
                fastnn.set_num_threads(threads)
            try:
                times.setdefault(name, {})[str(n)] = _time(_callable(rung, a, b), spec["target_s"])
            finally:
                fastnn.set_num_threads(default_threads)
        prev = n
    fastnn.set_num_threads(1)
    for layer in spec.get("conv_layers", []):
        n, c, o, hw = layer
        x = g.standard_normal((n, c, hw, hw)).astype(np.float32)
        w = (g.standard_normal((o, c, 3, 3)) * 0.1).astype(np.float32)
        for name, rung in CONV_ENTRIES[spec["rotate"] % len(CONV_ENTRIES):] + \
                CONV_ENTRIES[:spec["rotate"] % len(CONV_ENTRIES)]:
            times.setdefault("conv " + name, {})[conv_name(layer)] = _time(_conv_callable(rung, x, w),
                                                                           spec["target_s"])
    fastnn.set_num_threads(default_threads)
    with open(spec["out"], "w") as fh:
        json.dump({"times": times, "threads": default_threads}, fh)


def _run_round(tmp, sizes, max_call_s, rotate, target_s, conv_layers=()):
    from .._child import package_root
    from .runner import worker_env
    spec, out = os.path.join(tmp, "ladder.spec.json"), os.path.join(tmp, "ladder.out.json")
    with open(spec, "w") as fh:
        json.dump({"sizes": sizes, "max_call_s": max_call_s, "rotate": rotate, "target_s": target_s,
                   "conv_layers": [list(c) for c in conv_layers], "out": out}, fh)
    proc = subprocess.run([sys.executable, "-m", "fastnn.bench.ladder", spec], env=worker_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=package_root())
    if proc.returncode != 0:
        raise RuntimeError(f"ladder worker failed with exit code {proc.returncode}:\n{proc.stdout[-3000:]}")
    with open(out) as fh:
        return json.load(fh)


def run(sizes, rounds=3, target_s=0.2, max_call_s=5.0, progress=True, conv_layers=()):
    """Median seconds per call of every entry at every size: ({name: {size: s}}, threads)."""
    samples, threads = {}, None
    with tempfile.TemporaryDirectory(prefix="fastnn-ladder-") as tmp:
        for r in range(rounds):
            t0 = time.perf_counter()
            got = _run_round(tmp, sizes, max_call_s, r, target_s, conv_layers)
            threads = got["threads"]
            for name, per in got["times"].items():
                for n, t in per.items():
                    samples.setdefault(name, {}).setdefault(n, []).append(t)
            if progress:
                print(f"  ladder round {r + 1}/{rounds} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return {name: {n: statistics.median(v) for n, v in per.items()} for name, per in samples.items()}, threads


def format_table(times, sizes, threads, limits=None):
    """GFLOP/s per entry and size, x over the rung below, % of the peak at its thread count."""
    from .roofline import _table
    header = ["GEMM ladder, float32 n x n"] + [f"n={n}" for n in sizes]
    rows, prev = [], None
    for name, rung, thr in ENTRIES:
        per = times.get(name, {})
        cells = []
        for n in sizes:
            t = per.get(str(n))
            if t is None:
                cells.append("-")
                continue
            gf = 2.0 * n ** 3 / t / 1e9
            cell = f"{gf:.1f}"
            if rung is not None and prev is not None and times.get(prev, {}).get(str(n)):
                cell += f" ({times[prev][str(n)] / t:.1f}x)"
            if limits is not None:
                key = "1" if thr == 1 else "default"
                peak = limits["levels"][limits["isa"]].get(key)
                if peak:
                    cell += f" {100 * gf / peak:.0f}%"
            cells.append(cell)
        label = f"{name} ({threads} thr)" if thr is None else name
        rows.append([label] + cells)
        prev = name if rung is not None else prev
    lines = _table(header, rows)
    lines.append("GFLOP/s = 2 n^3 / time (median round); (Nx): speed-up over the rung above; "
                 "N%: of the measured peak FMA throughput at the row's thread count")
    for top, own in (("4 packed", "fastnn GEMM, 1 thread"), ("5 threads", "fastnn GEMM")):
        ratios = [times[own][str(n)] / times[top][str(n)] for n in sizes
                  if times.get(top, {}).get(str(n)) and times.get(own, {}).get(str(n))]
        if ratios:
            lines.append(f"{top} / {own} (speed, >1 means the rung is faster): "
                         + ", ".join(f"{r:.2f}" for r in ratios))
    return "\n".join(lines)


def format_conv_table(times, layers, limits=None):
    """The convolution ladder: effective GFLOP/s per layer, x over the rung above, % of 1-thread peak."""
    from .roofline import _table
    header = ["convolution ladder, float32, 1 thread"] + [conv_name(layer) for layer in layers]
    rows, prev = [], None
    for name, rung in CONV_ENTRIES:
        per, cells = times.get("conv " + name, {}), []
        for layer in layers:
            t = per.get(conv_name(layer))
            if t is None:
                cells.append("-")
                continue
            gf = conv_flops(layer) / t / 1e9
            cell = f"{gf:.1f}"
            below = times.get("conv " + prev, {}).get(conv_name(layer)) if prev else None
            if rung is not None and below:
                cell += f" ({below / t:.1f}x)"
            if limits is not None:
                cell += f" {100 * gf / limits['levels'][limits['isa']]['1']:.0f}%"
            cells.append(cell)
        rows.append([name] + cells)
        prev = name if rung is not None else prev
    lines = _table(header, rows)
    lines.append("GFLOP/s = the direct formula's 2*N*O*C*9*H*W flops / time (Winograd does 2.25x fewer "
                 "multiplications: its figure is an effective one); fastnn conv2d is the native forward")
    return "\n".join(lines)


def main(sizes, rounds, quick, json_path=None, max_call_s=5.0, conv=True):
    from .machine import machine_info
    from .roofline import measure
    layers = CONV_LAYERS if conv else []
    times, threads = run(sizes, rounds, target_s=0.05 if quick else 0.2, max_call_s=max_call_s,
                         conv_layers=layers)
    limits = measure((1, "default"), quick=quick)
    m = machine_info()
    cpu = (m.get("cpu") or "unknown CPU") + (f" ({m['cpu_id']})" if m.get("cpu_id") else "")
    print(f"CPU {cpu}, {m.get('cores_usable')} usable cores; fastnn {m.get('fastnn')}, ISA level "
          f"{m.get('isa_variant')}, rung 4 tile {_tile()}; median of {rounds} fresh-process round(s)")
    print(format_table(times, sizes, threads, limits))
    if layers:
        print()
        print(format_conv_table(times, layers, limits))
    if json_path:
        os.makedirs(os.path.dirname(json_path) or ".", exist_ok=True)
        with open(json_path, "w") as fh:
            json.dump({"machine": m, "sizes": sizes, "conv_layers": layers, "threads": threads, "times": times,
                       "limits": limits},
                      fh, indent=2)
        print(f"results written to {json_path}")
    return 0


def _tile():
    from ..backends.native import ladder
    return ladder.tile()


if __name__ == "__main__":
    worker(sys.argv[1])
