"""Batch-1 inference latency: fastnn eager vs fastnn.compile vs onnxruntime
(default session) vs the exported C, on the 784-128-10 MLP and the seed CNN.
The C is built three ways: ``cc -std=c99 -O2`` (what a user gets: on x86-64
the hottest kernels run the AVX2 + FMA copy when the CPU has it, chosen at
run time), as the ``_portable`` columns ``cc -std=c99 -O2 -DMODEL_PORTABLE``
(the plain C99 copies alone: SSE2 on x86-64), and as the ``_native`` columns
``cc -std=c99 -O2 -march=native`` (a deployment build for the CPU it runs on).

Each contender runs in its own process (so one's threads or caches do not
slow another), the contenders one after the other, ``--rounds`` times; each
figure is the median of 20 timing blocks (``--min``: the fastest of 100
smaller blocks instead, what a quiet moment gives on a shared machine), with
ratios to onnxruntime measured in the same round.

    python benchmarks/compile_latency.py [--repeat 2000] [--rounds 1] [--min]
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def models():
    import fastnn
    from fastnn import nn
    fastnn.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return {"mlp": (mlp.eval(), (1, 784)), "cnn": (cnn.eval(), (1, 1, 8, 8))}


def _time_us(fn, repeat, fastest=False):
    """Median of 20 blocks of repeat/20 calls, or the fastest of 100 blocks
    of repeat/100 calls: us per call."""
    for _ in range(50):
        fn()
    blocks = []
    n_blocks = 100 if fastest else 20
    per = max(1, repeat // n_blocks)
    for _ in range(n_blocks):
        t = time.perf_counter()
        for _ in range(per):
            fn()
        blocks.append((time.perf_counter() - t) / per)
    return float((np.min(blocks) if fastest else np.median(blocks)) * 1e6)


def child(which, name, repeat, fastest=False):
    import fastnn
    model, shape = models()[name]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if which == "eager":
        t = fastnn.tensor(x)

        def fn():
            with fastnn.no_grad():
                model(t)
    elif which == "compile":
        c = fastnn.compile(model)
        t = fastnn.tensor(x)
        c(t)
        fn = lambda: c(t)  # noqa: E731
    elif which == "onnxruntime":
        import onnxruntime as ort
        d = tempfile.mkdtemp()
        path = os.path.join(d, "m.onnx")
        fastnn.onnx.export(model, fastnn.tensor(x), path, input_names=["x"])
        sess = ort.InferenceSession(path)
        fn = lambda: sess.run(None, {"x": x})  # noqa: E731
    else:  # the exported C, timed inside C: c[_int8][_portable | _native]
        cc = shutil.which("cc") or shutil.which("gcc")
        d = tempfile.mkdtemp()
        fastnn.export.to_c(model, fastnn.tensor(x), d,
                           quantize="int8" if "int8" in which else None, calibration=x)
        march = {"native": ["-march=native"], "portable": ["-DMODEL_PORTABLE"]}.get(
            which.rsplit("_", 1)[-1], [])
        main = os.path.join(d, "bench.c")
        blocks = 100 if fastest else 20
        per = max(1, repeat // blocks)
        with open(main, "w") as f:
            f.write("""#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>
#include "model.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
    static float in[MODEL_INPUT_SIZE], out[MODEL_OUTPUT_SIZE];
    double best[%d]; int b, i, j; double tmp;
    for (i = 0; i < MODEL_INPUT_SIZE; i++) in[i] = (float)(i %% 13) * 0.1f;
    for (i = 0; i < 50; i++) model_forward(in, out);
    for (b = 0; b < %d; b++) { double t = now();
        for (i = 0; i < %d; i++) model_forward(in, out);
        best[b] = (now() - t) / %d; }
    for (i = 0; i < %d; i++) for (j = i + 1; j < %d; j++)
        if (best[j] < best[i]) { tmp = best[i]; best[i] = best[j]; best[j] = tmp; }
    printf("%%f\\n", best[%d] * 1e6 + out[0] * 0);
    return 0;
}
""" % ((blocks, blocks, per, per, blocks, blocks, 0 if fastest else blocks // 2)))
        exe = os.path.join(d, "bench")
        subprocess.run([cc, "-std=c99", "-O2", *march, "-I", d, main, os.path.join(d, "model.c"),
                        "-o", exe, "-lm"], check=True)
        return float(subprocess.run([exe], capture_output=True, text=True,
                                    check=True).stdout)
    return _time_us(fn, repeat, fastest)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f", {os.cpu_count()} vCPU"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--min", action="store_true", help="fastest block instead of the median")
    ap.add_argument("--child", nargs=2, metavar=("WHICH", "MODEL"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.repeat, args.min)))
        return
    contenders = ["eager", "compile", "onnxruntime", "c", "c_int8", "c_portable",
                  "c_int8_portable", "c_native", "c_int8_native"]
    stat = "fastest of 100 blocks" if args.min else "median of 20 blocks"
    print(f"batch-1 latency, us per call, {stat} ({cpu_name()}); ratio = onnxruntime / this")
    for r in range(args.rounds):
        for name in ("mlp", "cnn"):
            res = {}
            for which in contenders:
                cmd = [sys.executable, __file__, "--child", which, name, "--repeat",
                       str(args.repeat)] + (["--min"] if args.min else [])
                out = subprocess.run(cmd, capture_output=True, text=True)
                res[which] = json.loads(out.stdout.strip().splitlines()[-1]) \
                    if out.returncode == 0 else None
            ort_t = res.get("onnxruntime")
            row = "  ".join(f"{w} {t:8.1f}" + (f" ({ort_t / t:4.2f}x)" if ort_t else "")
                            if t else f"{w} n/a" for w, t in res.items())
            print(f"round {r + 1} {name}: {row}", flush=True)


if __name__ == "__main__":
    main()
