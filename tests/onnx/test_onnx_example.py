"""examples/onnx_export.py runs in its short mode and onnxruntime agrees with fastnn."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples",
                       "onnx_export.py")


def test_onnx_export_example_quick(tmp_path):
    out = tmp_path / "m.onnx"
    proc = subprocess.run([sys.executable, EXAMPLE, "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = {line.split(":")[0].strip(): line.split(":")[1].split()[0]
             for line in proc.stdout.splitlines() if line.startswith("test accuracy")}
    assert lines["test accuracy, fastnn"] == lines["test accuracy, onnxruntime"]
    assert out.stat().st_size > 10000
    assert "= conv2d(image, conv1.weight" in proc.stdout
