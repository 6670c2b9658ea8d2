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


def _best_rate(call, seconds, repeats):
    """Best (work / second) of ``call(scale) -> work`` over ``repeats`` calls of
    about ``seconds`` each; the best, because other work on the machine only
    slows a run down, and many short calls find a quiet moment."""
    scale = 1
    while True:     # grow the call until it takes a measurable time
        t0 = time.perf_counter()
        call(scale)
        dt = time.perf_counter() - t0
        if dt >= seconds / 4 or scale >= 1 << 40:
            break
        scale *= 4
    scale = max(1, int(scale * seconds / max(dt, 1e-9)))
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        work = call(scale)
        best = max(best, work / (time.perf_counter() - t0))
    return best


def peak_gflops(level, threads, seconds=0.01, repeats=20):
    """GFLOP/s of ISA level ``level``'s register-only FMA loop on ``threads`` threads."""
    probe, lvl = _probe(), LEVEL_NUMBER[level]
    return _best_rate(lambda scale: probe.fma(lvl, 1000 * scale, threads), seconds, repeats) / 1e9


def _count_cpus(text):
    """'0-3,8' -> 5."""
    total = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        total += int(hi) - int(lo) + 1 if hi else 1
    return total


def caches():
    """[(name, bytes, cpus sharing one), ...] for the data caches from level 2 up,
    smallest first (Linux sysfs); [] where the platform does not say."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    out = []
    try:
        for entry in sorted(e for e in os.listdir(base) if e.startswith("index")):
            def read(name):
                with open(os.path.join(base, entry, name)) as fh:
                    return fh.read().strip()
            level, kind, size = int(read("level")), read("type"), read("size").upper()
            if level < 2 or kind == "Instruction":
                continue
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(size[-1:], 1)
            sharing = _count_cpus(read("shared_cpu_list"))
            out.append((f"L{level}", int(size.rstrip("KMG")) * mult, sharing))
    except (OSError, ValueError):
        return []
    return sorted(out, key=lambda c: c[1])


def llc_bytes():
    """The last-level cache's size, or 32 MiB when the platform does not say."""
    found = caches()
    return found[-1][1] if found else 32 << 20


def capacity(cache, threads):
    """Bytes of a cache level that ``threads`` threads (one per core) have between them."""
    name, size, sharing = cache
    return size * max(1, -(-threads // sharing))


def bandwidth_gbs(threads, array_bytes, seconds=0.02, repeats=10):
    """STREAM-triad GB/s on ``threads`` threads over three float64 arrays of ``array_bytes``."""
    n = max(1024, int(array_bytes) // 8)
    a, b, c = np.empty(n), np.full(n, 1.0), np.full(n, 2.0)
    probe = _probe()
    probe.triad(a, b, c, 3.0, 1, threads)   # the first pass pays a's page faults

    def call(reps):
        probe.triad(a, b, c, 3.0, reps, threads)
        return 3 * 8 * n * reps
    return _best_rate(call, seconds, repeats) / 1e9


def thread_count(setting):
    """Threads behind a bench thread setting: an int, or 'default' (fastnn's count)."""
    if setting == "default":
        import fastnn
        return fastnn.get_num_threads()
    return int(setting)


def measure(settings=(1, "default"), quick=False):
    """The machine's limits at each thread setting:
    {"isa": level the kernels run, "levels": {ISA level: {setting: GFLOP/s}},
     "memory": {setting: [[name, capacity bytes, GB/s], ...]} from the smallest
     cache to main memory ("DRAM", capacity None), "threads": {setting: n}, ...}.
    Cache bandwidths come from a triad over half the cache, main memory's over
    three arrays of four times the last-level cache (twice with quick)."""
    from ..backends.native import available_isas, isa
    seconds, repeats = (0.005, 6) if quick else (0.01, 20)
    dram_array = max((2 if quick else 4) * llc_bytes(), 64 << 20)
    out = {"isa": isa(), "levels": {}, "memory": {}, "threads": {}, "dram_array_mib": dram_array / (1 << 20)}
    for setting in settings:
        key, n = str(setting), thread_count(setting)
        out["threads"][key] = n
        for level in available_isas():
            out["levels"].setdefault(level, {})[key] = peak_gflops(level, n, seconds, repeats)
        mem = []
        for cache in caches():
            cap = capacity(cache, n)
            mem.append([cache[0], cap, bandwidth_gbs(n, cap / 6, 2 * seconds, repeats)])
        mem.append(["DRAM", None, bandwidth_gbs(n, dram_array, 2 * seconds, max(3, repeats // 4))])
        out["memory"][key] = mem
    _at_least_fewer_threads(out)
    return out


def _at_least_fewer_threads(limits):
    """A roof at n threads is at least the roof at fewer (the extra threads could
    sit idle): where other work on the machine pulled a many-thread measurement
    below a few-thread one, take the few-thread value."""
    order = sorted(limits["threads"], key=lambda k: limits["threads"][k])
    for fewer, more in zip(order, order[1:]):
        for per in limits["levels"].values():
            per[more] = max(per[more], per[fewer])
        for low, high in zip(limits["memory"][fewer], limits["memory"][more]):
            if low[0] == high[0] and (high[1] is None or (low[1] or 0) <= high[1]):
                high[2] = max(high[2], low[2])


def memory_level(limits, setting, nbytes):
    """(name, GB/s) of the smallest memory level that holds ``nbytes``: a case the
    bench calls again and again on the same arrays streams from there at best
    (the faster roof of the two when a case only nearly fits)."""
    for name, cap, gbs in limits["memory"][str(setting)]:
        if cap is None or nbytes <= cap:
            return name, gbs
    raise ValueError("limits without a DRAM level")


def peak(limits, setting, itemsize=4):
    """Peak GFLOP/s of the kernels' ISA level (float64 vectors hold half as many)."""
    return limits["levels"][limits["isa"]][str(setting)] * (4 / itemsize)


def roof(limits, setting, intensity, nbytes=None, itemsize=4):
    """min(peak, intensity x bandwidth) in GFLOP/s at a thread setting; the
    bandwidth of the level holding nbytes (main memory's when None)."""
    gbs = memory_level(limits, setting, nbytes)[1] if nbytes is not None else limits["memory"][str(setting)][-1][2]
    return min(peak(limits, setting, itemsize), intensity * gbs)


def grade(results, limits, itemsize=4, sides=("native", "torch")):
    """Per result row: intensity, what bounds it ('compute' or the memory level),
    the roof, and per side GFLOP/s, GB/s and percent of the roof."""
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
        limit = roof(limits, key, intensity, nbytes, itemsize)
        bound = "compute" if limit >= peak(limits, key, itemsize) else memory_level(limits, key, nbytes)[0]
        row = {"case": r["case"], "threads": r["threads"], "model": True, "intensity": intensity,
               "bytes": nbytes, "roof": limit, "bound": bound, "sides": {}}
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
    """The intensity where the compute roof meets main memory's, flop/byte."""
    return peak(limits, setting) / limits["memory"][str(setting)][-1][2]


def _mib(nbytes):
    return f"{nbytes / (1 << 20):.0f} MiB" if nbytes >= 1 << 20 else f"{nbytes / 1024:.0f} KiB"


def format_limits(limits, cpu):
    """The measured limits, as lines of text."""
    settings = list(limits["threads"])
    header = [f"Roofline of {cpu}"] + [f"{limits['threads'][s]} thread(s)" + (" (def)" if s == "default" else "")
                                       for s in settings]
    rows = [[f"peak float32 FMA, {level}" + (" (the kernels' level)" if level == limits["isa"] else "")]
            + [f"{per[s]:.1f} GFLOP/s" for s in settings] for level, per in limits["levels"].items()]
    first = limits["memory"][settings[0]]
    for i, (name, cap, _) in enumerate(first):
        what = (f"main memory, 3 x {limits['dram_array_mib']:.0f} MiB" if cap is None
                else f"{name} cache, half of it")
        rows.append([f"bandwidth, STREAM triad in {what}"]
                    + [f"{limits['memory'][s][i][2]:.1f} GB/s" for s in settings])
    rows.append(["ridge point, peak / main memory bandwidth"] + [f"{ridge(limits, s):.1f} flop/B" for s in settings])
    caps = ", ".join(f"{name} {_mib(cap)}" for name, cap, _ in first if cap is not None)
    lines = _table(header, rows)
    if caps:
        lines.append(f"(caches at 1 thread: {caps}; a case is held to the bandwidth of the smallest "
                     "level that holds its bytes)")
    return "\n".join(lines)


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
    points = [g for g in rows if g["model"] and "native" in g["sides"]]
    fig, (ax, key) = plt.subplots(1, 2, figsize=(14, max(6.5, 0.17 * len(points) + 1.5)),
                                  gridspec_kw={"width_ratios": [3, 2]})
    xs = np.logspace(-2, 3, 200)
    settings = list(limits["threads"])
    colours = dict(zip(settings, ("tab:blue", "tab:red", "tab:green", "tab:purple")))
    for s in settings:
        ax.plot(xs, [roof(limits, s, x) for x in xs], color=colours[s],
                label=f"roof, {limits['threads'][s]} thread(s): {limits['isa']} peak, main memory")
        for name, cap, gbs in limits["memory"][s][:-1]:
            ax.plot(xs, [min(peak(limits, s), x * gbs) for x in xs], color=colours[s], linestyle=":",
                    linewidth=0.8)
            ax.annotate(f"{name} {gbs:.0f} GB/s", (peak(limits, s) / gbs / 4, peak(limits, s) / 4),
                        fontsize=6, color=colours[s], rotation=35, ha="right")
    lines = []
    for i, g in enumerate(points, 1):   # numbered points, named in the key on the right
        nat = g["sides"]["native"]
        colour = colours.get(str(g["threads"]), "black")
        ax.plot(g["intensity"], nat["gflops"], "o", color=colour, markersize=4)
        ax.annotate(str(i), (g["intensity"], nat["gflops"]), fontsize=6, xytext=(2, 2),
                    textcoords="offset points", color=colour)
        lines.append(f"{i:>2}  {g['case']} [{label(g['threads'])}]  {nat['percent']:.0f}%")
    key.axis("off")
    key.text(0, 1, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=7,
             transform=key.transAxes)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (flop / byte of compulsory traffic); dotted: cache bandwidths")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("fastnn's native kernels against this machine's roofline", fontsize=10)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
