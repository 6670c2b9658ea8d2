"""Timing, the ratio table, JSON output and the bar chart of ``python -m fastnn.bench``.

Implementations of one case are timed in interleaved rounds (numpy, native,
torch, numpy, native, torch, ...) so that a slow spell of this shared machine
hits all of them alike; each reported time is the median round. Only ratios
between implementations measured in the same run are meant to be quoted.
"""
import json
import platform
import statistics
import time


def _calibrate(fn, target_s):
    """How many calls of ``fn`` take about ``target_s`` seconds (at least 1)."""
    fn()  # warm-up: first-call allocations, lazy imports
    n, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed >= target_s / 4 or n >= 1 << 20:
            break
        n *= 2
    return max(1, int(n * target_s / max(elapsed, 1e-9)))


def time_case(impls, rounds=5, target_s=0.05):
    """Median seconds per call of each implementation in ``impls`` (name -> callable)."""
    loops = {name: _calibrate(fn, target_s) for name, fn in impls.items()}
    samples = {name: [] for name in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            n = loops[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def format_table(results):
    """Rows: case, threads, times, native speed-up over numpy and over torch."""
    header = ["case", "thr", "numpy ms", "native ms", "torch ms", "native/numpy", "native/torch"]
    rows = []
    for r in results:
        t = r["times"]
        ms = {k: (f"{v * 1e3:.3f}" if v is not None else "-") for k, v in t.items()}
        sp_np = t["numpy"] / t["native"] if t.get("numpy") and t.get("native") else None
        sp_t = t["torch"] / t["native"] if t.get("torch") and t.get("native") else None
        rows.append([r["case"], str(r["threads"]), ms.get("numpy", "-"), ms.get("native", "-"),
                     ms.get("torch", "-"),
                     f"{sp_np:.2f}x" if sp_np else "-", f"{sp_t:.2f}x" if sp_t else "-"])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
              for row in rows]
    lines.append("speed-up columns: >1x means fastnn's native kernels are faster "
                 "(numpy = fastnn's NumPy reference backend)")
    return "\n".join(lines)


def machine_info():
    import numpy as np
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor(), "numpy": np.__version__}
    try:  # the native kernels' ISA level (FASTNN_ISA forces one)
        from ..backends.native import isa
        info["isa"] = isa()
    except ImportError:
        info["isa"] = None
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def write_json(results, path):
    with open(path, "w") as fh:
        json.dump({"machine": machine_info(), "results": results}, fh, indent=2)


def plot(results, path):
    """A grouped bar chart of speed-ups; returns the path or None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels = [f"{r['case']} ({r['threads']}t)" for r in results]
    vs_numpy = [r["times"]["numpy"] / r["times"]["native"] if r["times"].get("numpy") else 0 for r in results]
    vs_torch = [r["times"]["torch"] / r["times"]["native"] if r["times"].get("torch") else 0 for r in results]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(labels) + 1.5))
    ys = range(len(labels))
    ax.barh([y - 0.2 for y in ys], vs_numpy, height=0.4, label="native vs NumPy reference")
    if any(vs_torch):
        ax.barh([y + 0.2 for y in ys], vs_torch, height=0.4, label="native vs PyTorch CPU")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("speed-up of fastnn native (higher is better, log scale)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
