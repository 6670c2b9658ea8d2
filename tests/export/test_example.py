"""examples/export_c.py runs in its short mode: trains, exports float and int8,
builds and runs a main.c against each."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples", "export_c.py")


@pytest.mark.skipif(_build.CC is None, reason="no C compiler found")
def test_export_c_example_quick(tmp_path):
    proc = subprocess.run([sys.executable, EXAMPLE, "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "C float32" in proc.stdout and "C int8" in proc.stdout
    assert "int8 object is" in proc.stdout
    for sub in ("float", "int8"):
        assert (tmp_path / sub / "model.h").exists() and (tmp_path / sub / "digits").exists()
