"""Every example runs in its short mode (the README's main job included)."""
import os
import runpy
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def run_example(name, *args, cwd=None):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd, env=env)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_cnn_digits_quick():
    out = run_example("cnn_digits.py", "--quick")
    assert "test accuracy" in out


def test_lenet_digits_quick():
    out = run_example("lenet_digits.py", "--quick")
    assert "Accuracy of the network" in out


def test_mlp_quick():
    out = run_example("mlp.py", "--quick")
    assert "test accuracy" in out and "RMS error" in out


def test_gan_quick(tmp_path):
    out = run_example("gan_digits.py", "--quick", "--out", str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "saved" in out


@pytest.mark.slow
def test_cnn_digits_reaches_97_percent():
    """The README's main job: the full run reaches >= 97% on the held-out digits."""
    sys.argv = ["cnn_digits.py"]
    accuracy = runpy.run_path(os.path.join(EXAMPLES, "cnn_digits.py"))["main"]([])
    assert accuracy >= 0.97
