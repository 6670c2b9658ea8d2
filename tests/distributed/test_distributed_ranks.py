"""Multi-rank tests: scripts in scripts/ run under ``mpirun -n 2`` (skipped without MPI)."""
import importlib.util
import json
import os
import re
import time

import numpy as np
import pytest

from mpi_launch import SCRIPTS


def test_collectives_two_ranks(mpirun):
    mpirun("collectives.py")


def test_collectives_three_ranks_default_threads(mpirun):
    # no OMP_NUM_THREADS: init_process_group gives each rank its share of the cores
    mpirun("collectives.py", n=3, threads=None, env={"EXPECT_THREADS": "shared"})


def test_ddp_matches_one_process_on_the_whole_batch(mpirun):
    # float32 to the 2e-5 after 5 Adam steps; ranks equal bit for bit
    mpirun("ddp_equivalence.py", "float32")


def test_ddp_matches_one_process_float64(mpirun):
    mpirun("ddp_equivalence.py", "float64")


def test_ddp_no_sync_unused_parameters_buffers_and_mismatch(mpirun):
    mpirun("ddp_features.py")


def test_an_exception_on_one_rank_ends_the_job(mpirun):
    t0 = time.monotonic()
    proc = mpirun("rank_fails.py", timeout=60, check=False)
    assert time.monotonic() - t0 < 30
    assert proc.returncode != 0
    assert "rank 1 failed on purpose" in proc.stderr
    assert "got past the barrier" not in proc.stdout


def test_ddp_digits_example(mpirun):
    example = os.path.join(SCRIPTS, os.pardir, os.pardir, os.pardir, "examples", "ddp_digits.py")
    if not os.path.exists(example):
        pytest.skip("examples/ are not next to the tests")
    proc = mpirun(os.path.abspath(example), "--quick", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 rank(s)" in proc.stdout and "test accuracy" in proc.stdout
    assert proc.stdout.count("test accuracy") == 1   # rank 0 alone prints


def test_keras_fit_on_two_ranks_matches_one_process(mpirun, tmp_path):
    proc = mpirun("keras_fit.py", str(tmp_path))
    assert proc.stdout.count("Epoch 1/3") == 1                      # progress on rank 0 only
    assert proc.stdout.count("early stopping") == 1                 # every rank stopped; one said so
    assert sorted(os.listdir(tmp_path)) == ["ckpt-0-1.safetensors", "ckpt-0-2.safetensors",
                                            "history.json", "log-0.csv",
                                            "weights.npz"]             # callbacks on rank 0 only
    spec = importlib.util.spec_from_file_location("keras_fit", os.path.join(SCRIPTS, "keras_fit.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    alone = script.build()
    ref_dir = tmp_path / "alone"
    ref_dir.mkdir()
    ref_history = script.fit(alone, str(ref_dir), verbose=0).history
    with open(tmp_path / "history.json") as f:
        history = json.load(f)
    assert history.keys() == ref_history.keys()
    assert len(history["loss"]) == 2                                 # EarlyStopping after epoch 2
    for key in history:
        np.testing.assert_allclose(history[key], ref_history[key], rtol=1e-5, atol=1e-6, err_msg=key)
    with np.load(tmp_path / "weights.npz") as w:
        for i, p in enumerate(alone.parameters()):
            np.testing.assert_allclose(w[f"arr_{i}"], p.detach().numpy(), rtol=0, atol=2e-5)


def test_ddp_bench_reports_bytes_and_communication_share(mpirun, tmp_path, capsys):
    from fastnn.bench import ddp
    path = tmp_path / "ddp.json"
    assert ddp.main([1, 2], batch=8, steps=1, rounds=1, json_path=str(path)) == 0
    out = capsys.readouterr().out
    assert "comm share" in out and "MB/step" in out
    report = json.loads(path.read_text())
    assert report["machine"]["cpu"]
    from fastnn.bench.cases import _fastnn_cnn
    nbytes = sum(p._data.nbytes for p in _fastnn_cnn().parameters())
    assert [r["ranks"] for r in report["results"]] == [1, 2]
    for r in report["results"]:
        assert r["bytes_per_step"] == nbytes and r["global_batch"] == 8
        assert r["step_s"] > 0 and r["step_no_sync_s"] > 0 and r["wait_s"] >= 0 and r["allreduce_s"] > 0


def test_keras_metric_objects_on_two_ranks_equal_one_process(mpirun, tmp_path):
    """Precision, Recall (two thresholds), AUC and TruePositives are ratios of running
    sums: the ranks' states must be summed, not their results averaged."""
    mpirun("keras_metrics.py", str(tmp_path))
    spec = importlib.util.spec_from_file_location("keras_metrics",
                                                  os.path.join(SCRIPTS, "keras_metrics.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    ref = script.fit(script.build()).history
    with open(tmp_path / "history.json") as f:
        history = json.load(f)

    def by_base_name(h):  # metric objects made earlier in this process shift the _N suffixes
        named = {re.sub(r"_\d+$", "", k): v for k, v in h.items()}
        assert len(named) == len(h), sorted(h)
        return named
    history, ref = by_base_name(history), by_base_name(ref)
    assert history.keys() == ref.keys()
    assert {"precision", "recall", "auc", "true_positives", "val_auc"} <= set(history)
    for key in history:
        np.testing.assert_allclose(history[key], ref[key], rtol=1e-5, atol=1e-6, err_msg=key)
