"""Every CUDA source of the cupy backend compiles with nvcc (no GPU needed).

Each .cu file is compiled to PTX for sm_80 with the same header layout the
backend uses, and must define a float and a double entry point for every
kernel the Python modules launch.
"""
import os
import re
import shutil
import subprocess

import pytest

from fastnn.backends.cupy import _runtime

KERNEL_DIR = _runtime.KERNEL_DIR
CU_FILES = sorted(f for f in os.listdir(KERNEL_DIR) if f.endswith(".cu"))
PY_DIR = os.path.dirname(KERNEL_DIR)


def _nvcc():
    return shutil.which("nvcc") or next(
        (p for p in ("/usr/local/cuda/bin/nvcc",) if os.path.exists(p)), None)


def _launched_kernels(cu):
    """Kernel names the Python modules launch from ``cu`` (via _SRC = "<cu>")."""
    names = set()
    for f in os.listdir(PY_DIR):
        if not f.endswith(".py"):
            continue
        src = open(os.path.join(PY_DIR, f)).read()
        if f'_SRC = "{cu}"' in src:
            names.update(re.findall(r'launch(?:_rows)?\(_SRC, "(\w+)"', src))
    return names


def test_every_family_has_sources():
    assert {"im2col.cu", "pool.cu", "elementwise.cu", "rnn.cu"} <= set(CU_FILES)


@pytest.mark.parametrize("cu", CU_FILES)
def test_cu_compiles_with_nvcc(cu, tmp_path):
    nvcc = _nvcc()
    if nvcc is None:
        pytest.skip("nvcc not found (install the CUDA toolkit to compile-check the .cu files)")
    ptx = tmp_path / (cu + ".ptx")
    res = subprocess.run([nvcc, "-arch=sm_80", "-ptx", "-I", KERNEL_DIR,
                          os.path.join(KERNEL_DIR, cu), "-o", str(ptx)],
                         capture_output=True, text=True)
    assert res.returncode == 0, f"nvcc failed on {cu}:\n{res.stderr[-4000:]}"
    entries = set(re.findall(r"\.entry\s+(\w+)\(", ptx.read_text()))
    launched = _launched_kernels(cu)
    assert launched, f"no Python module launches kernels from {cu}"
    for name in launched:
        for suffix in ("_f32", "_f64"):
            assert name + suffix in entries, f"{cu}: missing entry point {name}{suffix}"


def test_inlined_source_is_self_contained():
    # what NVRTC compiles at run time: the header text inlined, no #include left
    for cu in CU_FILES:
        assert "#include" not in _runtime.kernel_source(cu), cu
