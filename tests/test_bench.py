"""The standard benchmark set runs: every case builds and every implementation
runs once (e.g. a fwd+bwd case's upstream gradient has the output's shape).
Timings are not checked here; speed lives in the benchmarks themselves."""
import numpy as np
import pytest

from fastnn.bench.cases import STANDARD


@pytest.mark.parametrize("name, make", STANDARD, ids=[name for name, _ in STANDARD])
def test_case_runs(name, make):
    impls = make(np.dtype(np.float32))
    assert "native" in impls
    for impl in impls.values():
        impl()


def test_list_names_the_cases(capsys):
    from fastnn.bench.__main__ import main
    assert main(["--list"]) == 0
    assert capsys.readouterr().out.split("\n")[:len(STANDARD)] == [name for name, _ in STANDARD]


def test_filter_alternatives(capsys):
    # -k a|b keeps the cases matching either (docs print their tables' commands so)
    from fastnn.bench.__main__ import main
    assert main(["--list", "-k", "LSTM fwd+bwd|gru"]) == 0
    names = [n for n in capsys.readouterr().out.split("\n") if n]
    assert names == [n for n, _ in STANDARD if "lstm fwd+bwd" in n or "gru" in n]
    assert any("gru" in n for n in names) and any("lstm" in n for n in names)


# --- the runner and its report ------------------------------------------------------
# The fresh-process run is the default mode; it is tested end to end on one tiny
# case with one round (six short worker processes), and its report's fields on
# what came back. No time is checked, only that each side was timed.

TINY = "mlp 784-128-10 inference B1"


def _has_torch():
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def test_fresh_process_report(tmp_path, capsys):
    import json
    from fastnn.bench.__main__ import main
    path = tmp_path / "bench.json"
    assert main(["-k", TINY, "--quick", "--rounds", "1", "--json", str(path), "--plot", ""]) == 0
    out = capsys.readouterr().out
    for field in ("CPU", "cores", "GEMM ISA variant", "BLAS", "threads", "native N/1", "native/torch"):
        assert field in out, field

    report = json.loads(path.read_text())
    assert report["mode"] == "fresh-process" and report["rounds"] == 1
    m = report["machine"]
    for key in ("cpu", "cores", "isa_variant", "blas", "fastnn", "numpy", "torch", "python", "machine"):
        assert key in m, key
    assert m["cores"] >= 1
    # The knob was applied in the 1-thread worker and left alone in the default one.
    threads = report["num_threads"]
    assert threads["1"]["native"]["native"] == 1
    assert threads["default"]["native"]["native"] >= 1

    rows = {r["threads"]: r for r in report["results"] if r["case"] == TINY}
    assert set(rows) == {1, "default"}
    sides = ["numpy", "native"] + (["torch"] if _has_torch() else [])
    for side in sides:
        assert rows[1]["times"][side] > 0 and rows["default"]["times"][side] > 0, side
        assert rows[1]["over_1_thread"][side] is None
        ratio = rows["default"]["over_1_thread"][side]
        assert ratio == pytest.approx(rows["default"]["times"][side] / rows[1]["times"][side])
    if _has_torch():
        assert threads["1"]["torch"]["torch"] == 1


def test_worker_env_drops_thread_settings(monkeypatch):
    import os
    import sys
    from fastnn.bench.runner import worker_env
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("GOMP_SPINCOUNT", "1000")
    monkeypatch.setenv("FASTNN_PAR_MIN_MACS", "1000")
    monkeypatch.setenv("FASTNN_BENCH_TEST_KEEP", "yes")
    env = worker_env()
    for name in ("OMP_NUM_THREADS", "GOMP_SPINCOUNT", "FASTNN_PAR_MIN_MACS"):
        assert name not in env, name
    assert env["FASTNN_BENCH_TEST_KEEP"] == "yes"
    assert env["PYTHONPATH"].split(os.pathsep)[:len(sys.path)] == [p or os.getcwd() for p in sys.path]


def test_in_process_mode(tmp_path):
    # In a subprocess: the mode sets this process's thread counts.
    import json
    import subprocess
    import sys
    from fastnn._child import package_root
    from fastnn.bench.runner import worker_env
    path = tmp_path / "bench.json"
    subprocess.run([sys.executable, "-m", "fastnn.bench", "--in-process", "--no-torch", "-k", TINY,
                    "--quick", "--rounds", "1", "-t", "1,2", "--json", str(path), "--plot", ""],
                   check=True, env=worker_env(), stdout=subprocess.DEVNULL, cwd=package_root())
    report = json.loads(path.read_text())
    assert report["mode"] == "in-process"
    assert report["num_threads"]["2"]["native"]["native"] == 2
    row = next(r for r in report["results"] if r["threads"] == 2)
    assert row["times"]["native"] > 0 and row["over_1_thread"]["native"] > 0


def test_parse_threads():
    from fastnn.bench.__main__ import parse_threads
    assert parse_threads("1,default") == [1, "default"]
    assert parse_threads("1, 2,2") == [1, 2]
    for bad in ("0", "x", ""):
        with pytest.raises(ValueError):
            parse_threads(bad)


def test_table_ratios():
    from fastnn.bench.runner import add_thread_ratios, format_table
    results = add_thread_ratios([
        {"case": "c", "threads": 1, "times": {"numpy": 4.0, "native": 1.0, "torch": None}},
        {"case": "c", "threads": "default", "times": {"numpy": 2.0, "native": 1.5, "torch": None}},
    ])
    assert results[1]["over_1_thread"] == {"numpy": 0.5, "native": 1.5, "torch": None}
    counts = {"default": {"numpy": {"blas": 2}, "native": {"native": 2, "blas": 2}}}
    lines = format_table(results, counts).splitlines()
    assert lines[2].split()[1:] == ["1", "4000.000", "1000.000", "-", "4.00x", "-", "-", "-", "-"]
    assert lines[3].split()[1:] == ["2", "(def)", "2000.000", "1500.000", "-", "1.33x", "-",
                                    "0.50", "1.50", "-"]


def test_machine_info_fields():
    from fastnn.bench.machine import machine_info
    m = machine_info()
    assert isinstance(m["cpu"], str) and m["cpu"]
    assert m["cores"] >= 1 and m["cores_usable"] >= 1
    assert m["blas"]["name"]  # NumPy >= 1.25 names its BLAS; older ones list libraries


def test_failed_worker_is_reported(capsys):
    from fastnn.bench.runner import run_fresh
    run = run_fresh(["no such case"], [1], rounds=1, sides=["native"], progress=False)
    assert run.results == [] and run.failed == ["native, threads 1, round 1"]
    assert "KeyError" in capsys.readouterr().err  # the worker's traceback is shown


def test_tune_flag_runs_the_tuning(monkeypatch, capsys):
    from fastnn.backends.native import tuning
    from fastnn.bench.__main__ import main
    monkeypatch.setattr(tuning, "tune", lambda: {"FASTNN_PAR_MIN_MACS": 12345})
    assert main(["--tune"]) == 0
    assert "FASTNN_PAR_MIN_MACS = 12345" in capsys.readouterr().out
