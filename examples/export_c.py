"""Deploy the seed CNN without Python: train it on the bundled digits, export it
to standalone C (float and int8), build a tiny main.c against each, and print
accuracy, object size and latency of each build next to fastnn.compile.

    python examples/export_c.py               # ~10 s of training, then two C builds
    python examples/export_c.py --quick       # one short epoch (used by the tests)
    python examples/export_c.py --out build/  # keep the generated files there

Needs a C compiler (cc, gcc or clang; $CC wins).
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np

import fastnn
from fastnn import nn
from fastnn.datasets import load_digits

# The whole deployment: read N images (float32, 1x8x8 each) from a file, run the
# model on each, write the predicted class per image. Timing uses clock() (C99).
MAIN_C = r"""
#include <stdio.h>
#include <time.h>
#include "model.h"

int main(int argc, char **argv)
{
    static float image[MODEL_INPUT_SIZE], logits[MODEL_OUTPUT_SIZE];
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "w");
    long n = 0;
    double seconds = 0.0;
    if (argc < 3 || !in || !out)
        return 1;
    while (fread(image, sizeof(float), MODEL_INPUT_SIZE, in) == MODEL_INPUT_SIZE) {
        clock_t start = clock();
        int k, best = 0;
        if (model_forward(image, logits) != 0)
            return 2;
        seconds += (double)(clock() - start) / CLOCKS_PER_SEC;
        for (k = 1; k < MODEL_OUTPUT_SIZE; k++)
            if (logits[k] > logits[best])
                best = k;
        fprintf(out, "%d\n", best);
        n++;
    }
    printf("%.2f\n", n ? seconds / n * 1e6 : 0.0);
    return 0;
}
"""


def seed_cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def train(model, x, y, epochs):
    opt = fastnn.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss = loss_fn(model(fastnn.tensor(x[idx])), fastnn.tensor(y[idx]))
            loss.backward()
            opt.step()
    model.eval()


def build_and_run(cc, directory, x_test):
    obj = os.path.join(directory, "model.o")
    subprocess.run([cc, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2", "-c",
                    os.path.join(directory, "model.c"), "-o", obj], check=True)
    main = os.path.join(directory, "main.c")
    with open(main, "w") as f:
        f.write(MAIN_C)
    exe = os.path.join(directory, "digits")
    subprocess.run([cc, "-O2", "-I", directory, main, obj, "-o", exe, "-lm"], check=True)
    images, preds = os.path.join(directory, "images.bin"), os.path.join(directory, "preds.txt")
    x_test.astype(np.float32).tofile(images)
    run = subprocess.run([exe, images, preds], capture_output=True, text=True, check=True)
    return np.loadtxt(preds, dtype=np.int64), float(run.stdout), os.path.getsize(obj)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="1 epoch on a subset (smoke test)")
    parser.add_argument("--out", help="directory for the generated C (default: a temporary one)")
    args = parser.parse_args(argv)
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise SystemExit("no C compiler found (set CC)")
    fastnn.manual_seed(0)
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    epochs = 1 if args.quick else args.epochs
    if args.quick:
        x_train, y_train = x_train[:512], y_train[:512]
    model = seed_cnn()
    start = time.perf_counter()
    train(model, x_train, y_train, epochs)
    print(f"trained {epochs} epoch(s) on {len(x_train)} digits in {time.perf_counter() - start:.1f}s")

    compiled = fastnn.compile(model)
    preds = compiled(fastnn.tensor(x_test)).numpy().argmax(1)
    one = fastnn.tensor(x_test[:1])
    compiled(one)
    t = time.perf_counter()
    for _ in range(200):
        compiled(one)
    compile_us = (time.perf_counter() - t) / 200 * 1e6
    print(f"{'fastnn.compile':16s} accuracy {np.mean(preds == y_test) * 100:6.2f}%  "
          f"{'':>12s}  {compile_us:7.1f} us/image")

    root = args.out or tempfile.mkdtemp(prefix="fastnn_export_")
    results = {}
    for mode in (None, "int8"):
        d = os.path.join(root, mode or "float")
        fastnn.export.to_c(model, one, d, quantize=mode, calibration=x_train[:256])
        preds, us, size = build_and_run(cc, d, x_test)
        results[mode] = (np.mean(preds == y_test), size)
        print(f"{'C ' + (mode or 'float32'):16s} accuracy {results[mode][0] * 100:6.2f}%  "
              f"{size / 1024:8.1f} KiB  {us:7.1f} us/image   ({d})")
    ratio = results["int8"][1] / results[None][1]
    print(f"int8 object is {ratio * 100:.0f}% of the float one; accuracy "
          f"{(results['int8'][0] - results[None][0]) * 100:+.2f} points")
    if not args.out:
        shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
