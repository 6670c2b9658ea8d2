"""``python -m fastnn.bench --ddp``: what data-parallel training costs and gains here.

For each rank count (default 1 and 2) it launches ``mpirun -n N`` on this
module's worker, which trains the bench's small CNN (28x28 inputs, the "CNN
train step" case) wrapped in DistributedDataParallel on one global batch split
over the ranks, and times two kinds of step in alternating rounds:

* a synchronised step (forward, backward with the bucketed all-reduce, Adam);
* the same step inside ``no_sync()``: no communication at all.

Their difference is the communication a step could not hide behind backward,
reported as a share of the synchronised step. The report also gives the bytes
each rank all-reduces per step (the gradients: every parameter, once), the
time backward waited on MPI after its last bucket started, the time a blocking
all-reduce of those bytes takes alone, and the throughput
in samples per second with its speed-up over one rank. Threads: each rank
takes fastnn's default under MPI (the node's cores divided by its ranks), so
every row uses the whole machine.

    python -m fastnn.bench --ddp                    # 1 and 2 ranks
    python -m fastnn.bench --ddp --ranks 1,2,4 --batch 128
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np


def _worker(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    import fastnn
    import fastnn.distributed as dist
    from fastnn.nn import functional as F
    from fastnn.nn.parallel import DistributedDataParallel
    from .cases import _fastnn_cnn

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    local = max(1, args.batch // world)
    g = np.random.default_rng(rank)
    x = fastnn.from_numpy(g.standard_normal((local, 1, 28, 28)).astype(np.float32))
    y = fastnn.from_numpy(g.integers(0, 10, local))
    model = DistributedDataParallel(_fastnn_cnn())
    opt = fastnn.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def timed(sync):
        waits = []
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            if sync:
                step()
                waits.append(model.communication_stats["wait_s"])
            else:
                with model.no_sync():
                    step()
        dist.barrier()
        return (time.perf_counter() - t0) / args.steps, float(np.mean(waits)) if waits else 0.0

    for _ in range(2):  # warm-up: first-touch memory, kernels' first calls
        step()
    synced, unsynced, waited = [], [], []
    for _ in range(args.rounds):
        t, w = timed(True)
        synced.append(t)
        waited.append(w)
        unsynced.append(timed(False)[0])
    # the bytes alone: blocking all-reduces of one step's gradients, nothing else running
    grads = fastnn.zeros(model.communication_stats["bytes"] // 4)
    alone_ar = []
    for _ in range(args.rounds):
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            dist.all_reduce(grads)
        alone_ar.append((time.perf_counter() - t0) / args.steps)
    result = {"allreduce_s": float(np.median(alone_ar)), "ranks": world,
              "threads_per_rank": fastnn.get_num_threads(), "global_batch": local * world,
              "step_s": float(np.median(synced)), "step_no_sync_s": float(np.median(unsynced)),
              "wait_s": float(np.median(waited)), "bytes_per_step": model.communication_stats["bytes"],
              "buckets": model.communication_stats["buckets"]}
    if rank == 0:
        print("DDP-RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def _launch(n, worker_args, timeout):
    # --bind-to none: Open MPI would pin a lone rank to one core; fastnn's policy
    # (init_process_group) gives each rank its share of the cores instead
    cmd = ["mpirun", "-n", str(n), "--oversubscribe", "--bind-to", "none"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += [sys.executable, "-m", "fastnn.bench.ddp"] + worker_args
    env = dict(os.environ)
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    from .._child import package_root
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=package_root(), stdin=subprocess.DEVNULL)
    for line in proc.stdout.splitlines():
        if line.startswith("DDP-RESULT "):
            return json.loads(line[len("DDP-RESULT "):])
    raise RuntimeError(f"mpirun -n {n} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def format_report(report):
    m = report["machine"]
    lines = [f"DistributedDataParallel, CNN train step (28x28, Adam) on {m['cpu']} ({m['cores']} cores)",
             f"{'ranks':>5} {'thr/rank':>8} {'batch':>5} {'step ms':>8} {'no-sync ms':>10} "
             f"{'comm share':>10} {'MPI wait ms':>11} {'MB/step':>8} {'all-reduce ms':>13} {'samples/s':>9} "
             f"{'speed-up':>8}"]
    base = None
    for r in report["results"]:
        rate = r["global_batch"] / r["step_s"]
        base = base or rate
        share = max(0.0, 1 - r["step_no_sync_s"] / r["step_s"])
        lines.append(f"{r['ranks']:>5} {r['threads_per_rank']:>8} {r['global_batch']:>5} "
                     f"{r['step_s'] * 1e3:>8.2f} {r['step_no_sync_s'] * 1e3:>10.2f} {share:>10.1%} "
                     f"{r['wait_s'] * 1e3:>11.2f} {r['bytes_per_step'] / 1e6:>8.2f} {r['allreduce_s'] * 1e3:>13.2f} "
                     f"{rate:>9.0f} "
                     f"{rate / base:>8.2f}")
    lines.append("comm share = 1 - no-sync step / synchronised step: the communication a step "
                 "could not hide behind backward;\nMPI wait = backward's wait after its last bucket "
                 "started (includes waiting for a slower rank); all-reduce = the step's bytes alone")
    return "\n".join(lines)


def main(ranks=(1, 2), batch=64, steps=5, rounds=5, json_path=None, timeout=600):
    """Run the DDP bench for each rank count; print the table; return 0, or 1 when MPI is missing."""
    if shutil.which("mpirun") is None:
        print("mpirun is not installed: the DDP bench needs MPI (e.g. apt-get install openmpi-bin) "
              "and mpi4py (pip install \"fastnn[mpi]\")")
        return 1
    import importlib.util
    if importlib.util.find_spec("mpi4py") is None:
        print("mpi4py is not installed: pip install \"fastnn[mpi]\"")
        return 1
    from .machine import machine_info
    worker_args = ["--batch", str(batch), "--steps", str(steps), "--rounds", str(rounds)]
    report = {"machine": machine_info(), "case": "cnn 28x28 train step, Adam",
              "results": [_launch(n, worker_args, timeout) for n in ranks]}
    print(format_report(report))
    if json_path:
        os.makedirs(os.path.dirname(json_path) or ".", exist_ok=True)
        with open(json_path, "w") as f:
            json.dump(report, f, indent=2)
        print(f"results written to {json_path}")
    return 0


if __name__ == "__main__":
    _worker(sys.argv[1:])
