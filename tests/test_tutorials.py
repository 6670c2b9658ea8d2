"""Every tutorial runs in its --quick mode and states its result (each a few seconds)."""
import os
import subprocess
import sys

import pytest

TUTORIALS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tutorials")


def run(name, tmp_path, *args):
    proc = subprocess.run([sys.executable, os.path.join(TUTORIALS, name), "--quick",
                           "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def _check_plot(out, path):
    if _has_matplotlib():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "matplotlib is not installed" in out and not path.exists()


def test_every_tutorial_is_tested():
    names = sorted(f for f in os.listdir(TUTORIALS) if f[:2].isdigit() and f.endswith(".py"))
    assert names == ["01_mlp.py", "02_cnn_digits.py", "03_rnn_lstm.py", "04_gan_digits.py",
                     "05_backprop_by_hand.py"]


def test_mlp(tmp_path):
    out = run("01_mlp.py", tmp_path)
    assert "[classification]" in out and "test accuracy" in out and "RMS error" in out
    _check_plot(out, tmp_path / "out" / "mlp_regression.png")


def test_cnn_digits(tmp_path):
    out = run("02_cnn_digits.py", tmp_path)
    assert "test accuracy" in out and "quick mode" in out


def test_rnn_lstm(tmp_path):
    import fastnn.nn
    if not hasattr(fastnn.nn, "LSTM"):
        pytest.skip("fastnn.nn.LSTM not available yet")
    out = run("03_rnn_lstm.py", tmp_path)
    assert "reached (fastnn, LSTM" in out
    _check_plot(out, tmp_path / "out" / "rnn_lstm.png")


def test_rnn_gru(tmp_path):
    import fastnn.nn
    if not hasattr(fastnn.nn, "GRU"):
        pytest.skip("fastnn.nn.GRU not available yet")
    out = run("03_rnn_lstm.py", tmp_path, "--cell", "gru")
    assert "reached (fastnn, GRU" in out


def test_gan_writes_sample_grid(tmp_path):
    out = run("04_gan_digits.py", tmp_path)
    png = tmp_path / "out" / "gan_samples.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "grid image" in out


def test_backprop_by_hand_matches_autograd(tmp_path):
    out = run("05_backprop_by_hand.py", tmp_path)
    assert "matches autograd" in out and "test accuracy" in out
    _check_plot(out, tmp_path / "out" / "backprop_by_hand.png")
