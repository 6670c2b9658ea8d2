"""Helpers for the layer-op export tests (test_layers*.py): export a model,
build it with _c_build, run it, compare; the libm-only symbol check; a driver
that reports the forward's return code."""
import os
import subprocess
import sys

import numpy as np

import fastnn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as build  # noqa: E402

LIBM = build.LIBM_SYMBOLS | build.RUNTIME_SYMBOLS


def forward(model, x):
    """fastnn's eval-mode forward of one input, every output flattened and joined."""
    model.eval()
    with fastnn.no_grad():
        out = model(fastnn.tensor(x))
    outs = out if isinstance(out, tuple) else (out,)
    return np.concatenate([o.numpy().reshape(-1) for o in outs])


def export_and_run(model, xs, directory, **kw):
    """Export at xs[0], build (warnings as errors), run every input of xs: (C results, info)."""
    info = fastnn.export.to_c(model, fastnn.tensor(xs[0]), str(directory), **kw)
    exe = build.build(str(directory))
    size = sum(int(np.prod(s)) for s in info["output_shapes"])
    flat = np.stack([np.asarray(x, np.float32).reshape(-1) for x in xs])
    return build.run(exe, flat, size), info


def check(model, xs, directory, tol=1e-4, **kw):
    """The C forward equals fastnn's on every input of xs (xs[0] fixes the shapes)."""
    got, info = export_and_run(model, xs, directory, **kw)
    want = np.stack([forward(model, x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert_libm_only(info["source"], directory)
    return got, info


def assert_libm_only(source, directory):
    """The object calls nothing but libm: no allocation, I/O or exit."""
    names = build.undefined_symbols(source, os.path.join(str(directory), "symbols.o"))
    if names is not None:
        assert names <= LIBM, names


# Per input: the forward's return code, then the output (pre-filled with 7.0,
# so an output the forward did not write reads back as 7).
RC_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "model.h"
int main(int argc, char **argv)
{
    static float in[MODEL_INPUT_SIZE], out[MODEL_OUTPUT_SIZE];
    long count = argc > 1 ? atol(argv[1]) : 1, i, j;
    for (i = 0; i < count; i++) {
        float rc;
        if (fread(in, sizeof(float), MODEL_INPUT_SIZE, stdin) != MODEL_INPUT_SIZE)
            return 2;
        for (j = 0; j < MODEL_OUTPUT_SIZE; j++)
            out[j] = 7.0f;
        rc = (float)model_forward(in, out);
        fwrite(&rc, sizeof(float), 1, stdout);
        fwrite(out, sizeof(float), MODEL_OUTPUT_SIZE, stdout);
    }
    return 0;
}
"""


def build_rc(directory, extra=()):
    """Build model.c (already exported into directory) with RC_DRIVER; the executable."""
    d = str(directory)
    obj, main, exe = (os.path.join(d, n) for n in ("model.o", "rc_main.c", "rc_run"))
    subprocess.run([build.CC, *build.FLAGS, "-O1", *extra, "-c", os.path.join(d, "model.c"),
                    "-o", obj], check=True, capture_output=True, text=True)
    with open(main, "w") as f:
        f.write(RC_DRIVER)
    subprocess.run([build.CC, "-std=c99", "-O1", *extra, "-I", d, main, obj, "-o", exe, "-lm"],
                   check=True, capture_output=True, text=True)
    return exe


def run_rc(exe, inputs, out_size):
    """(return codes, outputs) of the RC_DRIVER executable on a stack of inputs."""
    res = build.run(exe, inputs, out_size + 1)
    return res[:, 0].astype(int), res[:, 1:]


sanitizers_work = build.sanitizer_flags
