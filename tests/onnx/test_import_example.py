"""examples/onnx_import_finetune.py runs in its short mode: PyTorch -> ONNX ->
fastnn, equal predictions, and fine-tuning in fastnn lifts the accuracy on the
digits the PyTorch model never saw."""
import os
import subprocess
import sys

import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "examples",
                       "onnx_import_finetune.py")


def test_onnx_import_finetune_quick():
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    proc = subprocess.run([sys.executable, EXAMPLE, "--quick"], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = dict(line.rsplit(":", 1) for line in proc.stdout.splitlines() if ":" in line)
    assert float(proc.stdout.split("max |fastnn - torch| = ")[1].split()[0]) < 1e-4
    before = float(lines["test accuracy on digits 5-9 before fine-tuning"])
    after = float(lines["test accuracy on digits 5-9 after fine-tuning"])
    assert after > 0.8 and after > before + 0.5
    back = float(proc.stdout.split("max |torch - fastnn| = ")[1].split()[0])
    assert back < 1e-4
