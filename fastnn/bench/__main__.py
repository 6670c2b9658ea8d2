"""``python -m fastnn.bench``: fastnn's native kernels against the NumPy
reference and PyTorch CPU, as ratios measured in one run.

    python -m fastnn.bench                 # standard set, 1 and 2 threads
    python -m fastnn.bench --quick         # fewer rounds, for a first look
    python -m fastnn.bench -k conv -t 1    # cases whose name contains "conv", 1 thread
"""
import argparse
import os
import sys

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastnn.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", "--filter", default="", help="run only cases whose name contains this")
    parser.add_argument("-t", "--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds per case")
    parser.add_argument("--quick", action="store_true", help="3 rounds of short timings")
    parser.add_argument("--json", default="bench_out/fastnn_bench.json", help="where to write results")
    parser.add_argument("--plot", default="bench_out/fastnn_bench.png", help="bar chart (needs matplotlib)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)

    import fastnn
    from .cases import STANDARD
    from .runner import format_table, plot, time_case, write_json

    cases = [(name, make) for name, make in STANDARD if args.filter.lower() in name.lower()]
    if args.list:
        print("\n".join(name for name, _ in cases))
        return 0
    try:
        threads = [int(t) for t in args.threads.split(",") if t]
    except ValueError:
        parser.error(f"--threads: expected comma-separated ints, got {args.threads!r}")
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("PyTorch is not installed: the torch column stays empty (pip install torch)")
    rounds, target = (3, 0.02) if args.quick else (args.rounds, 0.05)
    dtype = np.dtype(args.dtype)
    results = []
    for n in threads:
        fastnn.set_num_threads(n)
        if torch is not None:
            torch.set_num_threads(n)
        for name, make in cases:
            try:
                impls = make(dtype)
            except (AttributeError, ImportError, NotImplementedError) as exc:
                print(f"skip {name}: {exc}", file=sys.stderr)
                continue
            if args.no_torch:
                impls.pop("torch", None)
            times = time_case(impls, rounds=rounds, target_s=target)
            results.append({"case": name, "threads": n, "dtype": str(dtype),
                            "times": {k: times.get(k) for k in ("numpy", "native", "torch")}})
            print(f"  {name} ({n} thread{'s' if n > 1 else ''}) done", file=sys.stderr)
    print(format_table(results))
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        write_json(results, args.json)
        print(f"results written to {args.json}")
    if args.plot:
        os.makedirs(os.path.dirname(args.plot) or ".", exist_ok=True)
        if plot(results, args.plot):
            print(f"bar chart written to {args.plot}")
        else:
            print("matplotlib is not installed: no bar chart (pip install matplotlib)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
