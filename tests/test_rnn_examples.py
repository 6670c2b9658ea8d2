"""The recurrent examples run in their --quick mode and learn something."""
import os
import re
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def run_example(name, *args):
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_char_lstm_quick_loss_falls_and_samples():
    out = run_example("char_lstm.py", "--quick")
    m = re.search(r"loss fell from ([\d.]+) to ([\d.]+) \(uniform guess: ([\d.]+)\)", out)
    assert m, out
    first, last, uniform = map(float, m.groups())
    assert last < first - 0.5 and last < uniform - 0.5
    for temperature in ("0.5", "1.0"):
        sample = out.split(f"--- sample, temperature {temperature} ---\n")[1]
        assert sample.startswith("The ") and len(sample) > 60


def test_sine_forecast_quick_beats_last_value_baseline():
    out = run_example("sine_forecast.py", "--quick")
    m = re.search(r"GRU ([\d.]+)\s+vs last-value baseline ([\d.]+)", out)
    assert m, out
    model_rmse, naive_rmse = map(float, m.groups())
    assert model_rmse < 0.5 * naive_rmse


def test_sine_forecast_lstm_quick():
    out = run_example("sine_forecast.py", "--quick", "--cell", "lstm")
    m = re.search(r"LSTM ([\d.]+)\s+vs last-value baseline ([\d.]+)", out)
    assert m, out
    assert float(m.group(1)) < float(m.group(2))
