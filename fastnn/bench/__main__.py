"""``python -m fastnn.bench``: fastnn's native kernels against its NumPy reference
backend and PyTorch CPU, as ratios measured in one run, at the settings users get.

By default every side (NumPy reference, fastnn native, PyTorch) runs in a fresh
Python process per thread setting and round, as a user's script would: with no
``set_num_threads`` call and no thread environment variables for the default
thread count, or after the library's own ``set_num_threads(n)`` for a fixed n.
Rounds alternate the sides, and each time is the median round. ``--in-process``
instead times all sides interleaved in this process after setting both
libraries' thread counts (a controlled comparison of kernels).

The report opens with the machine (CPU, cores, fastnn's ISA variant, NumPy's
BLAS, versions, each side's thread counts) so that two machines' reports
compare; its "N/1" columns give each side's time at N threads over its time at 1.

    python -m fastnn.bench                 # standard set, 1 thread and the default count
    python -m fastnn.bench --quick         # fewer rounds of shorter timings, for a first look
    python -m fastnn.bench -k conv -t 1,2  # cases whose name contains "conv", 1 and 2 threads
    python -m fastnn.bench --in-process    # all sides in one process, set_num_threads(n)
    python -m fastnn.bench --tune          # measure and cache this machine's thread thresholds
    python -m fastnn.bench --ddp           # data-parallel steps under mpirun, 1 and 2 ranks
    python -m fastnn.bench --roofline      # also: this machine's peak and bandwidth, each case's % of them
    python -m fastnn.bench --ladder        # the GEMM ladder's GFLOP/s (fastnn/backends/native/ladder)
"""
import argparse
import importlib.util
import os
import sys

import numpy as np


def parse_threads(text):
    """'1,default' -> [1, 'default']: ints >= 1, or 'default' (no set_num_threads call)."""
    out = []
    for tok in (t.strip().lower() for t in text.split(",")):
        if not tok:
            continue
        if tok in ("default", "def", "d"):
            val = "default"
        else:
            val = int(tok)  # ValueError for anything else
            if val < 1:
                raise ValueError(tok)
        if val not in out:
            out.append(val)
    if not out:
        raise ValueError(text)
    return out


def _tune():
    from ..backends.native import tuning
    result = tuning.tune()
    if not result:
        print("nothing to tune: one core")
        return 0
    for name, value in sorted(result.items()):
        print(f"{name} = {value}")
    if "busy_load_average" in result:
        print("warning: the machine was busy while measuring; rerun on an idle machine")
    print(f"cached in {tuning.cache_path()} (FASTNN_NO_TUNE=1 ignores it)")
    return 0


def _ladder(parser, args):
    from . import ladder
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        sizes = []
    if not sizes or sizes[0] < 1:
        parser.error(f"--sizes: expected comma-separated ints >= 1, got {args.sizes!r}")
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    json_path = args.json
    if json_path == parser.get_default("json"):
        json_path = os.path.join(os.path.dirname(json_path), "fastnn_ladder.json")
    return ladder.main(sizes, rounds, args.quick, json_path, args.max_call, conv=not args.no_conv)


def _roofline(report, run, threads, args):
    """Measure the machine's limits (after the workers, so nothing competes) and
    grade every result against them; adds "roofline" to the report."""
    from . import roofline
    from .runner import thread_label
    print("\nmeasuring this machine's peak FMA throughput and memory bandwidth ...", file=sys.stderr)
    limits = roofline.measure(threads, quick=args.quick)
    grades = roofline.grade(run.results, limits, np.dtype(report["dtype"]).itemsize)
    m = report["machine"]
    cpu = (m.get("cpu") or "unknown CPU") + (f" ({m['cpu_id']})" if m.get("cpu_id") else "")
    print("\n" + roofline.format_limits(limits, cpu) + "\n")
    print(roofline.format_grades(grades, lambda t: thread_label(t, run.num_threads)))
    report["roofline"] = {"limits": limits, "grades": grades}
    if args.roofline_chart:
        os.makedirs(os.path.dirname(args.roofline_chart) or ".", exist_ok=True)
        if roofline.plot(grades, limits, args.roofline_chart, lambda t: thread_label(t, run.num_threads)):
            print(f"roofline chart written to {args.roofline_chart}")
        else:
            print("matplotlib is not installed: no roofline chart (pip install matplotlib)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", "--filter", default="",
                        help="run only cases whose name contains this (a|b: either)")
    parser.add_argument("-t", "--threads", default="1,default",
                        help="comma-separated thread counts; 'default' means no set_num_threads call "
                             "(default: 1,default)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=None,
                        help="timing rounds, median reported (default 3, or 1 with --quick; "
                             "in-process: 5, or 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds of shorter timings")
    parser.add_argument("--in-process", action="store_true",
                        help="time all sides interleaved in this process after set_num_threads "
                             "(the earlier mode) instead of a fresh process per side")
    parser.add_argument("--json", default="bench_out/fastnn_bench.json", help="where to write results")
    parser.add_argument("--plot", default="bench_out/fastnn_bench.png", help="bar chart (needs matplotlib)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--tune", action="store_true",
                        help="measure this machine's thread thresholds (about 2 s; run it on an idle "
                             "machine), cache them for fastnn's import, and exit")
    parser.add_argument("--ddp", action="store_true",
                        help="data-parallel training under mpirun instead (fastnn/bench/ddp.py): step "
                             "time, bytes all-reduced per step, share of the step spent communicating")
    parser.add_argument("--ranks", default="1,2", help="with --ddp: comma-separated rank counts (default 1,2)")
    parser.add_argument("--batch", type=int, default=64, help="with --ddp: the global batch (default 64)")
    parser.add_argument("--roofline", action="store_true",
                        help="also measure this machine's peak FMA throughput and memory bandwidth and "
                             "report every case as a percentage of its roofline (fastnn/bench/roofline.py)")
    parser.add_argument("--roofline-chart", default="bench_out/fastnn_roofline.png",
                        help="roofline chart with --roofline (needs matplotlib)")
    parser.add_argument("--ladder", action="store_true",
                        help="time the GEMM ladder's rungs and fastnn's GEMM instead (fastnn/bench/ladder.py)")
    parser.add_argument("--sizes", default="256,512,1024", help="--ladder: matrix sizes n (default 256,512,1024)")
    parser.add_argument("--max-call", type=float, default=5.0,
                        help="--ladder: leave out a rung at a size where one call would take longer (s)")
    parser.add_argument("--no-conv", action="store_true", help="--ladder: leave out the convolution ladder")
    args = parser.parse_args(argv)
    if args.tune:
        return _tune()
    if args.ladder:
        return _ladder(parser, args)
    if args.ddp:
        from . import ddp
        try:
            ranks = [int(r) for r in args.ranks.split(",") if r.strip()]
        except ValueError:
            parser.error(f"--ranks: expected comma-separated ints, got {args.ranks!r}")
        if not ranks or min(ranks) < 1 or args.batch < 1:
            parser.error("--ranks and --batch must be >= 1")
        rounds = args.rounds if args.rounds is not None else (2 if args.quick else 5)
        return ddp.main(ranks, batch=args.batch, steps=2 if args.quick else 5, rounds=rounds,
                        json_path=os.path.join(os.path.dirname(args.json) or ".", "fastnn_ddp.json"))

    from .cases import STANDARD
    from .machine import machine_info
    from .runner import (SIDES, add_thread_ratios, format_report, plot, run_fresh, run_in_process,
                         write_json)

    wanted = [part.strip().lower() for part in args.filter.split("|")]
    cases = [(name, make) for name, make in STANDARD if any(w in name.lower() for w in wanted)]
    if args.list:
        print("\n".join(name for name, _ in cases))
        return 0
    try:
        threads = parse_threads(args.threads)
    except ValueError:
        parser.error(f"--threads: expected comma-separated ints >= 1 or 'default', got {args.threads!r}")
    # A fresh-process round starts a process per side and thread setting (PyTorch's
    # import alone takes seconds), so it gets fewer rounds than an in-process one.
    default_rounds = (3, 5) if args.in_process else (1, 3)
    rounds = args.rounds if args.rounds is not None else default_rounds[0 if args.quick else 1]
    if rounds < 1:
        parser.error("--rounds must be >= 1")
    target = 0.02 if args.quick else 0.05
    dtype = str(np.dtype(args.dtype))

    use_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    if not args.no_torch and not use_torch:
        print("PyTorch is not installed: the torch column stays empty (pip install torch)")
    if args.in_process:
        torch = None
        if use_torch:
            import torch
        run = run_in_process(cases, threads, dtype, rounds, target, torch)
    else:
        sides = [s for s in SIDES if s != "torch" or use_torch]
        run = run_fresh([name for name, _ in cases], threads, dtype, rounds, target, sides)
    for name, why in run.skipped.items():
        print(f"skip {name}: {why}", file=sys.stderr)
    report = {"mode": "in-process" if args.in_process else "fresh-process", "rounds": rounds,
              "dtype": dtype, "target_s": target, "machine": machine_info(), "num_threads": run.num_threads,
              "thread_thresholds": run.thresholds, "failed_workers": run.failed,
              "results": add_thread_ratios(run.results)}
    print(format_report(report))
    if args.roofline:
        _roofline(report, run, threads, args)
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        write_json(report, args.json)
        print(f"results written to {args.json}")
    if args.plot:
        os.makedirs(os.path.dirname(args.plot) or ".", exist_ok=True)
        if plot(run.results, args.plot, run.num_threads):
            print(f"bar chart written to {args.plot}")
        else:
            print("matplotlib is not installed: no bar chart (pip install matplotlib)")
    if run.failed:
        print(f"{len(run.failed)} worker process(es) failed (their output is above): "
              + "; ".join(run.failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
