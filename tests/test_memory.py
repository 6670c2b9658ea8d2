"""glibc keeps a training step's freed arrays for the next step (fastnn/_memory.py)."""
import os
import subprocess
import sys

import pytest

from fastnn import _memory

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")


def _run(code, **env):
    full = {k: v for k, v in os.environ.items()
            if k not in ("FASTNN_KEEP_MALLOC", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    full.update(env)
    from fastnn._child import package_root
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True,
                         timeout=120, cwd=package_root())
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


_PROBE = "import fastnn; from fastnn import _memory; print(_memory.applied)"

# Page faults of a loop that, like a training step, allocates and touches a
# few 4 MB arrays and frees them all: with the settings the blocks are reused,
# with glibc's defaults the freed heap top is returned and faulted in again.
_FAULTS = """
import resource, numpy as np
{imports}
def step():
    arrays = [np.ones(1 << 20, np.float32) for _ in range(3)]
    del arrays
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@glibc_only
def test_applied_at_import():
    try:
        import ctypes
        ctypes.CDLL(None).gnu_get_libc_version
    except AttributeError:
        pytest.skip("not glibc")
    assert _run(_PROBE) == "True"


@glibc_only
@pytest.mark.parametrize("env", [{"FASTNN_KEEP_MALLOC": "1"}, {"MALLOC_TRIM_THRESHOLD_": "131072"}])
def test_user_choice_wins(env):
    assert _run(_PROBE, **env) == "False"


@glibc_only
def test_freed_blocks_are_reused():
    try:
        import ctypes
        ctypes.CDLL(None).gnu_get_libc_version
    except AttributeError:
        pytest.skip("not glibc")
    with_settings = int(_run(_FAULTS.format(imports="import fastnn")))
    without = int(_run(_FAULTS.format(imports="import fastnn"), FASTNN_KEEP_MALLOC="1"))
    # thousands of 4 KiB pages per pass without; a handful in all with
    assert without > 20 * 1024
    assert with_settings < without / 10
