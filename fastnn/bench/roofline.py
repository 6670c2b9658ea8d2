"""``python -m fastnn.bench --roofline``: this machine's two limits, measured,
and every benchmark case graded against them.

A kernel that does F floating-point operations and must move B bytes (its
arithmetic intensity I = F / B flop/byte) cannot run faster than

    roof(I) = min(peak, I * bandwidth)

(S. Williams, A. Waterman, D. Patterson, "Roofline", CACM 2009). Left of the
ridge point peak / bandwidth a kernel is memory-bound, right of it
compute-bound. Both limits are measured here, at 1 thread and at fastnn's
thread count, by the loops of fastnn/backends/native/probe:

* peak: a float32 multiply-add loop on registers only, one build per ISA
  level (the level the kernels run sets the roof; float64 is half of it);
* bandwidth: STREAM's triad over arrays four times the last-level cache.

Each case's flops and bytes come from work.py; its percentage is the GFLOP/s
it reached over roof(I) at the same thread count.
"""
import os
import time

import numpy as np

LEVEL_NUMBER = {"generic": 0, "avx2": 1, "avx512": 2}  # common/isa.h


def _probe():
    from ..backends.native.probe import _probe
    return _probe


def peak_gflops(level, threads, seconds=0.05, repeats=3):
    """Best GFLOP/s of ISA level ``level``'s register-only FMA loop on ``threads`` threads."""
    probe, lvl = _probe(), LEVEL_NUMBER[level]
    iters = 1000
    while True:     # grow the loop until one call takes a measurable time
        t0 = time.perf_counter()
        probe.fma(lvl, iters, threads)
        dt = time.perf_counter() - t0
        if dt >= seconds / 4 or iters >= 1 << 40:
            break
        iters *= 4
    iters = max(1, int(iters * seconds / max(dt, 1e-9)))
    best = 0.0
    for _ in range(repeats):  # the best run: other work on the machine only slows it
        t0 = time.perf_counter()
        flops = probe.fma(lvl, iters, threads)
        best = max(best, flops / (time.perf_counter() - t0))
    return best / 1e9


def llc_bytes():
    """The last-level cache's size (Linux sysfs or sysconf), or 32 MiB when unknown."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    sizes = []
    try:
        for entry in os.listdir(base):
            with open(os.path.join(base, entry, "size")) as fh:
                text = fh.read().strip().upper()
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
            sizes.append(int(text.rstrip("KMG")) * mult)
    except (OSError, ValueError):
        pass
    if not sizes:
        try:
            sizes.append(os.sysconf("SC_LEVEL3_CACHE_SIZE"))
        except (AttributeError, ValueError, OSError):
            pass
    return max([s for s in sizes if s and s > 0] or [32 << 20])


def bandwidth_gbs(threads, array_bytes=None, repeats=5):
    """Best STREAM-triad GB/s on ``threads`` threads, three float64 arrays of
    ``array_bytes`` each (default: 4 x the last-level cache, at least 64 MiB)."""
    if array_bytes is None:
        array_bytes = max(4 * llc_bytes(), 64 << 20)
    n = max(1, int(array_bytes) // 8)
    a, b, c = np.empty(n), np.full(n, 1.0), np.full(n, 2.0)
    probe = _probe()
    probe.triad(a, b, c, 3.0, threads)   # the first pass pays a's page faults
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        probe.triad(a, b, c, 3.0, threads)
        best = max(best, 3 * 8 * n / (time.perf_counter() - t0))
    return best / 1e9


def thread_count(setting):
    """Threads behind a bench thread setting: an int, or 'default' (fastnn's count)."""
    if setting == "default":
        import fastnn
        return fastnn.get_num_threads()
    return int(setting)


def measure(settings=(1, "default"), quick=False):
    """The machine's limits at each thread setting: {"isa", "levels": {level:
    {setting: GFLOP/s}}, "bandwidth": {setting: GB/s}, "threads": {setting: n}, ...}."""
    from ..backends.native import available_isas, isa
    seconds, repeats = (0.02, 2) if quick else (0.1, 5)
    array_bytes = max((2 if quick else 4) * llc_bytes(), 64 << 20)
    out = {"isa": isa(), "levels": {}, "bandwidth": {}, "threads": {},
           "array_mib": array_bytes / (1 << 20), "llc_mib": llc_bytes() / (1 << 20)}
    for setting in settings:
        key, n = str(setting), thread_count(setting)
        out["threads"][key] = n
        for level in available_isas():
            out["levels"].setdefault(level, {})[key] = peak_gflops(level, n, seconds, repeats)
        out["bandwidth"][key] = bandwidth_gbs(n, array_bytes, repeats)
    return out


def roof(limits, setting, intensity, itemsize=4):
    """roof(I) in GFLOP/s at a thread setting, for the ISA level the kernels run."""
    key = str(setting)
    peak = limits["levels"][limits["isa"]][key] * (4 / itemsize)
    return min(peak, intensity * limits["bandwidth"][key])


def grade(results, limits, itemsize=4, sides=("native", "torch")):
    """Rows of (case, threads, intensity, bound, roof, and per side GFLOP/s, GB/s,
    percent of roof) for every result with a work model."""
    from .work import WORK
    rows = []
    for r in results:
        model = WORK.get(r["case"])
        if model is None:
            rows.append({"case": r["case"], "threads": r["threads"], "model": False})
            continue
        flops, nbytes = model(itemsize)
        key = str(r["threads"])
        intensity = flops / nbytes
        limit = roof(limits, key, intensity, itemsize)
        peak = limits["levels"][limits["isa"]][key] * (4 / itemsize)
        row = {"case": r["case"], "threads": r["threads"], "model": True, "intensity": intensity,
               "roof": limit, "bound": "compute" if limit >= peak else "memory", "sides": {}}
        for side in sides:
            t = (r.get("times") or {}).get(side)
            if t:
                gflops = flops / t / 1e9
                row["sides"][side] = {"gflops": gflops, "gbs": nbytes / t / 1e9,
                                      "percent": 100.0 * gflops / limit}
        rows.append(row)
    return rows


def _table(header, rows):
    """Left-aligned first column, right-aligned others, a rule under the header."""
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
              for row in rows]
    return lines


def ridge(limits, setting):
    """The intensity where the two roofs meet, flop/byte."""
    key = str(setting)
    return limits["levels"][limits["isa"]][key] / limits["bandwidth"][key]


def format_limits(limits, cpu):
    """The measured limits, as lines of text."""
    settings = list(limits["threads"])
    header = [f"Roofline of {cpu}"] + [f"{limits['threads'][s]} thread(s)" + (" (def)" if s == "default" else "")
                                       for s in settings]
    rows = [[f"peak float32 FMA, {level}" + (" (the kernels' level)" if level == limits["isa"] else "")]
            + [f"{per[s]:.1f} GFLOP/s" for s in settings] for level, per in limits["levels"].items()]
    rows.append([f"memory bandwidth, STREAM triad 3 x {limits['array_mib']:.0f} MiB"]
                + [f"{limits['bandwidth'][s]:.1f} GB/s" for s in settings])
    rows.append(["ridge point, peak / bandwidth"] + [f"{ridge(limits, s):.1f} flop/B" for s in settings])
    return "\n".join(_table(header, rows))


def format_grades(rows, label=str):
    """The graded cases as a table: a percentage of the roof for every case."""
    header = ["case", "thr", "flop/B", "bound", "roof GFLOP/s", "native GFLOP/s", "native GB/s",
              "native % roof", "torch % roof"]
    table = []
    for g in rows:
        if not g["model"]:
            table.append([g["case"], label(g["threads"]), "-", "no work model"] + ["-"] * 5)
            continue
        nat, tor = g["sides"].get("native"), g["sides"].get("torch")
        table.append([g["case"], label(g["threads"]), f"{g['intensity']:.1f}", g["bound"], f"{g['roof']:.1f}",
                      f"{nat['gflops']:.1f}" if nat else "-", f"{nat['gbs']:.1f}" if nat else "-",
                      f"{nat['percent']:.0f}%" if nat else "-", f"{tor['percent']:.0f}%" if tor else "-"])
    lines = _table(header, table)
    lines.append("% roof: the GFLOP/s reached over min(peak, intensity x bandwidth) at the row's threads; "
                 "flops and bytes (the compulsory traffic) from fastnn/bench/work.py")
    return "\n".join(lines)


def plot(rows, limits, path, label=str):
    """A log-log roofline chart: the roofs and every native case; None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(10, 6.5))
    xs = np.logspace(-2, 3, 200)
    settings = list(limits["threads"])
    colours = dict(zip(settings, ("tab:blue", "tab:red", "tab:green", "tab:purple")))
    for s in settings:
        ax.plot(xs, [roof(limits, s, x) for x in xs], color=colours[s],
                label=f"roof, {limits['threads'][s]} thread(s) ({limits['isa']})")
    for i, g in enumerate(r for r in rows if r["model"] and "native" in r["sides"]):
        nat = g["sides"]["native"]
        s = str(g["threads"])
        ax.plot(g["intensity"], nat["gflops"], "o", color=colours.get(s, "black"), markersize=5)
        ax.annotate(f"{g['case']} [{label(g['threads'])}] {nat['percent']:.0f}%", (g["intensity"], nat["gflops"]),
                    fontsize=6, xytext=(3, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop / byte of compulsory traffic)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("fastnn's native kernels against this machine's roofline", fontsize=10)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
