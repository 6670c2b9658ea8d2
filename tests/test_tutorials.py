"""Every tutorial runs in its --quick mode and states its result (each a few seconds), and
is a Jupyter notebook in percent format whose cells run one by one."""
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
    assert "test accuracy" in out and "quick mode" in out and "reached" in out


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


# ---- the tutorials are notebooks too (Jupyter percent format) ----------------------------

def _cells(name):
    """The cells of a percent-format script: (kind, source) with kind 'markdown' or 'code'."""
    cells, kind, lines = [], None, []
    with open(os.path.join(TUTORIALS, name), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("# %%"):
                if kind is not None:
                    cells.append((kind, "".join(lines)))
                kind, lines = ("markdown" if "[markdown]" in line else "code"), []
            elif kind is None:
                assert not line.strip(), f"{name}: text before the first '# %%' cell: {line!r}"
            else:
                lines.append(line)
    cells.append((kind, "".join(lines)))
    return cells


TUTORIAL_FILES = sorted(f for f in os.listdir(TUTORIALS) if f[:2].isdigit() and f.endswith(".py"))


@pytest.mark.parametrize("name", TUTORIAL_FILES)
def test_tutorial_is_a_percent_format_notebook(name):
    cells = _cells(name)
    assert cells[0][0] == "markdown" and cells[0][1].startswith(f"# # Tutorial {int(name[:2])}:"), name
    for kind, source in cells:
        if kind == "markdown":     # every line a comment: the script ignores it, Jupyter renders it
            assert all(not ln.strip() or ln.startswith("#") for ln in source.splitlines()), name
        else:                      # a cell runs alone in a kernel: it must compile alone
            compile(source, name, "exec")
    code = [source for kind, source in cells if kind == "code"]
    assert len(code) >= 3 and "__main__" not in "".join(code), name
    assert "reached" in code[-1], f"{name}: the last cell should print what it reached"


def test_cells_run_one_by_one_as_in_a_kernel(tmp_path):
    """Tutorial 5's cells executed in turn in one namespace, as a Jupyter kernel does
    (with ipykernel loaded, so the flags take their defaults: the full run)."""
    script = (
        "import sys, types, json\n"
        "sys.modules['ipykernel'] = types.ModuleType('ipykernel')\n"
        "ns = {'__name__': '__notebook__'}\n"
        "for source in json.load(open(sys.argv[1])):\n"
        "    exec(compile(source, 'cell', 'exec'), ns)\n")
    cells = tmp_path / "cells.json"
    import json
    cells.write_text(json.dumps([s for k, s in _cells("05_backprop_by_hand.py") if k == "code"]))
    env = dict(os.environ, PYTHONPATH=TUTORIALS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", script, str(cells), "--quick"], capture_output=True,
                          text=True, timeout=300, cwd=str(tmp_path), env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "matches autograd" in proc.stdout and "after 200 steps" in proc.stdout  # --quick ignored
