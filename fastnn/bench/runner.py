"""Timing, the report (machine header and ratio table), JSON and the bar chart of
``python -m fastnn.bench``.

Two ways to run the cases:

* ``run_fresh`` (the default) measures what a user gets. Each side -- fastnn's
  NumPy reference backend ('numpy'), its native kernels ('native') and PyTorch
  ('torch') -- runs in a fresh Python process per thread setting and round, with
  the settings a user's script starts with: no ``set_num_threads`` call and no
  thread-pool environment variables for the default thread count; for a fixed
  count the process first calls the library's own knob
  (``fastnn.set_num_threads(n)`` / ``torch.set_num_threads(n)``). One process
  times all selected cases of its side, each warmed up first. Rounds alternate
  the sides (native, torch, numpy, then torch, numpy, native, ...) so that a
  noisy spell of this shared machine hits all of them alike; each reported time
  is the median round.
* ``run_in_process`` (``--in-process``) times all sides interleaved in this one
  process after setting both libraries' thread counts: a controlled
  configuration for comparing kernels, not the one users get.

Only ratios between implementations measured in the same run are meant to be
quoted, never a lone absolute time.
"""
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

SIDES = ("native", "torch", "numpy")  # a round's process order before rotation
COLUMNS = ("numpy", "native", "torch")  # the table's order

# What a run returns: result rows, {thread setting: {side: {pool: threads}}},
# {case: why it was skipped}, the worker processes that failed, and fastnn's
# thread thresholds as the native side saw them ({name: value or None}).
Run = namedtuple("Run", "results num_threads skipped failed thresholds")


def _calibrate(fn, target_s, warm_up=True):
    """How many calls of ``fn`` take about ``target_s`` seconds (at least 1)."""
    if warm_up:
        fn()  # first-call allocations, lazy imports
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


def _warm_up(fn, seconds):
    """Call ``fn`` at least once and for about ``seconds``: first-call allocations,
    lazy imports, the OpenMP team's start and caches are paid before timing."""
    t0 = time.perf_counter()
    fn()
    while time.perf_counter() - t0 < seconds:
        fn()


def time_one(fn, target_s=0.05, loops=None):
    """(seconds per call, loops) of ``fn`` timed once after a warm-up. ``loops``
    comes from an earlier round, so every round times the same number of calls;
    without it the count is calibrated to take about ``target_s``."""
    _warm_up(fn, target_s / 4)
    if loops is None:
        loops = _calibrate(fn, target_s, warm_up=False)
    t0 = time.perf_counter()
    for _ in range(loops):
        fn()
    return (time.perf_counter() - t0) / loops, loops


def time_case(impls, rounds=5, target_s=0.05, contexts=None):
    """Median seconds per call of each implementation in ``impls`` (name -> callable).
    ``contexts`` maps an implementation to a context-manager factory its calls
    run in (e.g. the NumPy backend for the reference)."""
    contexts = contexts or {}

    def within(name):
        return contexts.get(name, contextlib.nullcontext)()
    loops = {}
    for name, fn in impls.items():
        with within(name):
            loops[name] = _calibrate(fn, target_s)
    samples = {name: [] for name in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            n = loops[name]
            with within(name):
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


# --- fresh processes ----------------------------------------------------------------
# Run with ``python -c BOOTSTRAP spec.json side``. The first imports are a user's:
# a PyTorch script loads torch (and its OpenMP runtime) before fastnn is imported
# by the bench code, since fastnn's import sets a libgomp default
# (GOMP_SPINCOUNT) in the environment that a torch user never has; a fastnn
# script usually starts with ``import numpy as np``, and never loads PyTorch, so
# ``import torch`` is made to fail there and the cases leave their torch side out.
BOOTSTRAP = """\
import sys
if sys.argv[2] == "torch":
    import torch
else:
    import numpy
    sys.modules["torch"] = None
from fastnn.bench._worker import main
main(sys.argv[1])
"""

# Thread variables are not passed to the workers: a user's shell normally has
# none, and this process's own ``import fastnn`` has already put some here
# (GOMP_SPINCOUNT; FASTNN_PAR_MIN_* from the tuning cache). A fastnn worker's
# import sets them again; a torch worker must not inherit them.
THREAD_ENV = (
    "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_DYNAMIC", "OMP_PROC_BIND", "OMP_PLACES",
    "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "KMP_AFFINITY",
    "OPENBLAS_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT", "GOTO_NUM_THREADS",
    "MKL_NUM_THREADS", "MKL_DYNAMIC", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "FASTNN_BLAS_THREADS", "FASTNN_PAR_MIN_ELEMS", "FASTNN_PAR_MIN_MACS", "FASTNN_PAR_MIN_SCALE",
)


def worker_env():
    """This process's environment without thread settings; the workers find fastnn
    (and everything else) where this process found it."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p or os.getcwd() for p in sys.path)
    return env


def run_worker(tmp, side, threads, case_names, dtype, target_s, loops=None):
    """Time ``case_names`` on ``side`` in a fresh process; its JSON output, or None
    (with the reason printed) when the process failed."""
    tag = f"{side}-{threads}"
    spec_path, out_path = os.path.join(tmp, f"{tag}.spec.json"), os.path.join(tmp, f"{tag}.out.json")
    if os.path.exists(out_path):
        os.remove(out_path)
    with open(spec_path, "w") as fh:
        json.dump({"side": side, "threads": threads, "cases": list(case_names), "dtype": str(dtype),
                   "target_s": target_s, "loops": loops or {}, "out": out_path}, fh)
    from .._child import package_root
    proc = subprocess.run([sys.executable, "-c", BOOTSTRAP, spec_path, side], env=worker_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=package_root())
    if proc.returncode != 0 or not os.path.exists(out_path):
        tail = "\n".join(proc.stdout.strip().splitlines()[-20:])
        print(f"bench worker {side} (threads {threads}) failed with exit code {proc.returncode}:\n{tail}",
              file=sys.stderr)
        return None
    with open(out_path) as fh:
        return json.load(fh)


def run_fresh(case_names, threads, dtype="float32", rounds=5, target_s=0.05, sides=SIDES, progress=True):
    """Median times of each case, side and thread setting, one fresh process per
    (round, thread setting, side), as a ``Run``."""
    sides = list(sides)
    loops = {}      # (side, threads) -> {case: calls per timing}, settled in the first round
    samples = {}    # (case, threads, side) -> [seconds per call, one per round]
    counts = {}     # str(threads) -> side -> {pool: threads}
    skipped, failed, thresholds = {}, [], {}
    with tempfile.TemporaryDirectory(prefix="fastnn-bench-") as tmp:
        for r in range(rounds):
            # Rotate who goes first, so no side always runs right after the same one.
            order = sides[r % len(sides):] + sides[:r % len(sides)]
            for t in threads:
                for side in order:
                    t0 = time.perf_counter()
                    out = run_worker(tmp, side, t, case_names, dtype, target_s, loops.get((side, t)))
                    if progress:
                        print(f"  round {r + 1}/{rounds}: {side}, threads {t} "
                              f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
                    if out is None:
                        failed.append(f"{side}, threads {t}, round {r + 1}")
                        continue
                    got = out["results"]
                    loops.setdefault((side, t), {k: v["loops"] for k, v in got.items()})
                    for name, res in got.items():
                        samples.setdefault((name, t, side), []).append(res["seconds"])
                    counts.setdefault(str(t), {})[side] = out["num_threads"]
                    skipped.update(out["skipped"])
                    thresholds.update(out.get("thresholds", {}))
    results = []
    for name in case_names:
        for t in threads:
            per_side = {side: samples.get((name, t, side), []) for side in COLUMNS}
            if not any(per_side.values()):
                continue
            results.append({"case": name, "threads": t, "dtype": str(dtype),
                            "times": {s: statistics.median(v) if v else None for s, v in per_side.items()},
                            "samples": {s: v for s, v in per_side.items() if v}})
    return Run(results, counts, skipped, failed, thresholds)


# --- one process, interleaved -------------------------------------------------------
def run_in_process(cases, threads, dtype="float32", rounds=5, target_s=0.05, torch=None, progress=True):
    """All sides in this process, interleaved, after ``set_num_threads`` on both
    libraries; 'default' sets back the counts each library started with. Returns a
    ``Run`` like ``run_fresh`` (an implementation that fails raises here)."""
    import numpy as np
    import fastnn
    from .machine import blas_threads, thread_thresholds
    start = {"fastnn": fastnn.get_num_threads(), "torch": torch.get_num_threads() if torch else None}
    counts, skipped, rows = {}, {}, {}
    for t in threads:
        fastnn.set_num_threads(start["fastnn"] if t == "default" else t)
        if torch is not None:
            torch.set_num_threads(start["torch"] if t == "default" else t)
        # The reference runs under its own backend, as its users run it: fastnn
        # sizes NumPy's BLAS by the backend in use.
        with fastnn.use_backend("numpy"):
            counts[str(t)] = {"numpy": {"blas": blas_threads()}}
        counts[str(t)]["native"] = {"native": fastnn.get_num_threads(), "blas": blas_threads()}
        if torch is not None:
            counts[str(t)]["torch"] = {"torch": torch.get_num_threads()}
        for name, make in cases:
            try:
                impls = make(np.dtype(dtype))
            except (AttributeError, ImportError, NotImplementedError) as exc:
                skipped[name] = f"{type(exc).__name__}: {exc}"
                continue
            if torch is None:
                impls.pop("torch", None)
            times = time_case(impls, rounds=rounds, target_s=target_s,
                              contexts={"numpy": lambda: fastnn.use_backend("numpy")})
            rows[(name, t)] = {"case": name, "threads": t, "dtype": str(dtype),
                               "times": {k: times.get(k) for k in COLUMNS}}
            if progress:
                print(f"  {name} (threads {t}) done", file=sys.stderr)
    # Case by case, like run_fresh, so a case's thread settings sit together.
    results = [rows[(name, t)] for name, _ in cases for t in threads if (name, t) in rows]
    return Run(results, counts, skipped, [], thread_thresholds())


# --- the report ---------------------------------------------------------------------
def add_thread_ratios(results):
    """Each row's time over the same case and side at 1 thread, as
    ``over_1_thread``: >1 means the extra threads made it slower."""
    one = {r["case"]: r["times"] for r in results if r["threads"] == 1}
    for r in results:
        base = one.get(r["case"]) if r["threads"] != 1 else None
        r["over_1_thread"] = {side: (v / base[side] if base and v and base.get(side) else None)
                              for side, v in r["times"].items()}
    return results


def _main_count(side, pools):
    """The count that drives a side: fastnn's team for native, BLAS for the NumPy reference."""
    return (pools or {}).get({"numpy": "blas", "native": "native", "torch": "torch"}[side])


def thread_label(threads, counts):
    """'1', '2', or for the default setting '2 (def)' when every side ran 2 threads."""
    if threads != "default":
        return str(threads)
    seen = {_main_count(side, pools) for side, pools in counts.get("default", {}).items()}
    seen.discard(None)
    return f"{seen.pop()} (def)" if len(seen) == 1 else "default"


def _thresholds_text(thresholds):
    """'built-in', or e.g. 'elems 262144, macs built-in' where the tuning cache set them."""
    if not thresholds:
        return "?"
    if all(v is None for v in thresholds.values()):
        return "built-in"
    return ", ".join(f"{name.rsplit('_', 1)[-1].lower()} {value or 'built-in'}"
                     for name, value in thresholds.items())


def format_header(report):
    """The machine, the libraries and the thread counts each side ran with."""
    m = report["machine"]
    fresh = report["mode"] == "fresh-process"
    rounds = report["rounds"]
    how = ("each side in a fresh process, default settings" if fresh
           else "all sides in this process, threads set by set_num_threads")
    cpu = m.get("cpu") or "unknown"
    if m.get("cpu_id"):
        cpu += f" ({m['cpu_id']})"
    blas = m.get("blas") or {}
    blas_s = " ".join(str(x) for x in (blas.get("name"), blas.get("version")) if x) or "unknown"
    if blas.get("config"):
        blas_s += f" [{blas['config']}]"
    if blas.get("runtime") and blas["runtime"].get("architecture"):
        blas_s += f", {blas['runtime']['architecture']} kernels at run time"
    lines = [
        f"fastnn bench: {how}; median of {rounds} round{'s' if rounds != 1 else ''}; {report['dtype']}",
        f"CPU      {cpu}",
        f"cores    {m.get('cores')} logical, {m.get('cores_usable')} usable ({m.get('machine')}, {m.get('system')})",
        f"fastnn   {m.get('fastnn')}, GEMM ISA variant {m.get('isa_variant') or 'n/a (no native build)'}, "
        f"thread thresholds {_thresholds_text(report.get('thread_thresholds'))}",
        f"numpy    {m.get('numpy')}, BLAS {blas_s}",
        f"torch    {m.get('torch') or 'not installed'}",
        f"python   {m.get('python')}",
    ]
    if fresh:
        # The order is part of what is measured: a runtime loaded after fastnn's
        # import reads the defaults that import put into the environment.
        lines.append("imports  numpy, then fastnn (numpy and native sides); torch before the bench code (torch side)")

    def count(v):
        return "?" if v is None else str(v)
    for i, (setting, per_side) in enumerate(report["num_threads"].items()):
        how_set = ("no set_num_threads call" if setting == "default" else "set_num_threads") if fresh else \
            ("set back to the start counts" if setting == "default" else "set_num_threads")
        parts = []
        if "numpy" in per_side:
            parts.append(f"numpy BLAS {count(per_side['numpy'].get('blas'))}")
        if "native" in per_side:
            parts.append(f"native {count(per_side['native'].get('native'))} "
                         f"(BLAS {count(per_side['native'].get('blas'))})")
        if "torch" in per_side:
            parts.append(f"torch {count(per_side['torch'].get('torch'))}")
        lines.append(f"{'threads' if i == 0 else '':8} {setting} ({how_set}): " + ", ".join(parts))
    if any(v.get("numpy", {}).get("blas") is None for v in report["num_threads"].values()):
        lines.append("         (BLAS ? = fastnn does not know this BLAS library's thread count)")
    return "\n".join(lines)


def format_table(results, counts=None):
    """Rows: case, threads, times, native speed-up over numpy and over torch, and
    each side's time over its 1-thread time."""
    counts = counts or {}
    header = ["case", "thr", "numpy ms", "native ms", "torch ms", "native/numpy", "native/torch",
              "numpy N/1", "native N/1", "torch N/1"]
    rows = []
    for r in results:
        t = r["times"]
        ms = {k: (f"{v * 1e3:.3f}" if v is not None else "-") for k, v in t.items()}
        sp_np = t["numpy"] / t["native"] if t.get("numpy") and t.get("native") else None
        sp_t = t["torch"] / t["native"] if t.get("torch") and t.get("native") else None
        scale = r.get("over_1_thread") or {}
        rows.append([r["case"], thread_label(r["threads"], counts), ms.get("numpy", "-"), ms.get("native", "-"),
                     ms.get("torch", "-"), f"{sp_np:.2f}x" if sp_np else "-", f"{sp_t:.2f}x" if sp_t else "-"]
                    + [f"{scale[k]:.2f}" if scale.get(k) else "-" for k in COLUMNS])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
              for row in rows]
    lines.append("native/numpy, native/torch: speed-up, >1x means fastnn's native kernels are faster "
                 "(numpy = fastnn's NumPy reference backend)")
    lines.append("N/1: the row's time over the same side's 1-thread time (e.g. 2 threads / 1 thread); "
                 ">1 means the extra threads made it slower")
    return "\n".join(lines)


def format_report(report):
    return format_header(report) + "\n\n" + format_table(report["results"], report["num_threads"])


def write_json(report, path):
    with open(path, "w") as fh:
        json.dump(report, fh, indent=2)


def plot(results, path, counts=None):
    """A grouped bar chart of speed-ups; returns the path or None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    labels = [f"{r['case']} [{thread_label(r['threads'], counts or {})} thr]" for r in results]
    vs_numpy = [r["times"]["numpy"] / r["times"]["native"] if r["times"].get("numpy") and r["times"].get("native")
                else 0 for r in results]
    vs_torch = [r["times"]["torch"] / r["times"]["native"] if r["times"].get("torch") and r["times"].get("native")
                else 0 for r in results]
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
