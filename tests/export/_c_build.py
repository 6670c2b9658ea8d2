"""Shared helpers for the C export tests: find a compiler, build an exported
model with a small driver, run it on inputs."""
import os
import shutil
import subprocess

import numpy as np

CC = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
FLAGS = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"]

# What an exported object may reference besides libm: memset/memcpy (GCC turns
# zeroing and copy loops into them), the flags __builtin_cpu_supports reads for
# the run-time dispatch (libgcc's __cpu_model, filled once at start-up: no
# allocation, I/O or exit) and the GOT of a position-independent object.
RUNTIME_SYMBOLS = {"memset", "memcpy", "cpu_model", "cpu_indicator_init", "cpu_features2",
                   "GLOBAL_OFFSET_TABLE_"}
LIBM_SYMBOLS = {"expf", "tanhf", "logf", "erff", "log1pf", "sqrtf", "powf", "sinf", "cosf",
                "fabsf"}

# Reads `count` inputs from stdin, writes each output to stdout (raw float32).
DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "NAME.h"
int main(int argc, char **argv)
{
    static float in[UPNAME_INPUT_SIZE], out[UPNAME_OUTPUT_SIZE];
    long count = argc > 1 ? atol(argv[1]) : 1, i;
    for (i = 0; i < count; i++) {
        if (fread(in, sizeof(float), UPNAME_INPUT_SIZE, stdin) != UPNAME_INPUT_SIZE)
            return 2;
        if (NAME_forward(in, out) != 0)
            return 3;
        fwrite(out, sizeof(float), UPNAME_OUTPUT_SIZE, stdout);
    }
    return 0;
}
"""


def build(directory, name="model", extra=(), opt="-O1"):
    """Compile <name>.c (warnings as errors) and a driver; the executable's path."""
    src = os.path.join(directory, name + ".c")
    obj = os.path.join(directory, name + ".o")
    subprocess.run([CC, *FLAGS, opt, *extra, "-c", src, "-o", obj], check=True,
                   capture_output=True, text=True)
    main = os.path.join(directory, "main.c")
    with open(main, "w") as f:
        f.write(DRIVER.replace("UPNAME", name.upper()).replace("NAME", name))
    exe = os.path.join(directory, name + "_run")
    subprocess.run([CC, "-std=c99", opt, *extra, "-I", directory, main, obj, "-o", exe, "-lm"],
                   check=True, capture_output=True, text=True)
    return exe


def run(exe, inputs, out_size):
    """Run the driver on a stack of inputs (one per forward call)."""
    inputs = np.ascontiguousarray(inputs, dtype=np.float32)
    res = subprocess.run([exe, str(len(inputs))], input=inputs.tobytes(), capture_output=True,
                         check=True)
    return np.frombuffer(res.stdout, dtype=np.float32).reshape(len(inputs), out_size)


def sanitizer_flags(directory):
    """The -fsanitize=address,undefined flags when a probe program builds and runs
    with them here, else None (the caller skips)."""
    san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]
    probe = os.path.join(str(directory), "probe.c")
    with open(probe, "w") as f:
        f.write("int main(void) { return 0; }\n")
    exe = os.path.join(str(directory), "probe")
    if subprocess.run([CC, *san, probe, "-o", exe], capture_output=True).returncode:
        return None
    if subprocess.run([exe], capture_output=True).returncode:
        return None
    return san


def undefined_symbols(source, obj):
    """Compile ``source`` to ``obj`` (-O2, warnings as errors) and return the names
    it leaves undefined (leading underscores and @versions stripped), or None
    where there is no ``nm``."""
    subprocess.run([CC, *FLAGS, "-O2", "-c", str(source), "-o", str(obj)], check=True,
                   capture_output=True)
    nm = shutil.which("nm")
    if nm is None:
        return None
    out = subprocess.run([nm, "-u", str(obj)], capture_output=True, text=True, check=True)
    return {u.lstrip("_").split("@")[0] for u in out.stdout.split() if u not in ("U", "w")}
