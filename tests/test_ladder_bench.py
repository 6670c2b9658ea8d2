"""``python -m fastnn.bench --ladder`` (fastnn/bench/ladder.py): the table's
arithmetic, and one tiny fresh-process run end to end. No time is asserted."""
import json

import pytest

pytest.importorskip("fastnn.backends.native.ladder._ladder")

from fastnn.bench import ladder  # noqa: E402


def test_table_speedups_and_percentages():
    # 2 n^3 = 2e9 flops at n = 1000: 1 s per call is 2 GFLOP/s
    times = {name: {"1000": t} for (name, _, _), t in
             zip(ladder.ENTRIES, [8.0, 2.0, 1.0, 0.1, 0.05, 0.1, 0.055])}
    limits = {"isa": "avx2", "levels": {"avx2": {"1": 40.0, "default": 80.0}}}
    text = ladder.format_table(times, [1000], 2, limits)
    rows = {ln.split("  ")[0].strip(): ln for ln in text.splitlines()}
    assert "0.2 1%" in rows["1 naive"]                   # 0.25 GFLOP/s of 40
    assert "1.0 (4.0x) 2%" in rows["2 loop_order"]
    assert "20.0 (10.0x) 50%" in rows["4 packed"]
    assert "40.0 (2.0x) 50%" in rows["5 threads (2 thr)"]    # of the 2-thread peak
    assert "36.4 45%" in rows["fastnn GEMM (2 thr)"]
    assert "4 packed / fastnn GEMM, 1 thread (speed, >1 means the rung is faster): 1.00" in text
    assert "5 threads / fastnn GEMM (speed, >1 means the rung is faster): 1.10" in text


def test_missing_entries_print_a_dash():
    text = ladder.format_table({"4 packed": {"8": 1e-6}}, [8, 16], 1)
    row = next(ln for ln in text.splitlines() if ln.startswith("4 packed"))
    assert row.split()[-1] == "-"


def test_ladder_flag_end_to_end(tmp_path, capsys):
    from fastnn.bench.__main__ import main
    path = tmp_path / "ladder.json"
    # max-call 1e-7 s: every entry is left out at the second size
    assert main(["--ladder", "--sizes", "24,8", "--quick", "--rounds", "1", "--max-call", "1e-7",
                 "--no-conv", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "GEMM ladder" in out and "rung 4 tile 6x" in out and "CPU" in out
    report = json.loads(path.read_text())
    assert report["sizes"] == [8, 24]
    for name, _, _ in ladder.ENTRIES:
        assert report["times"][name]["8"] > 0, name
        assert "24" not in report["times"][name], name
    assert report["limits"]["threads"]["1"] == 1
    assert report["conv_layers"] == [] and "convolution ladder" not in out


def test_conv_table():
    layer = (1, 2, 3, 4)            # 2 * 1 * 3 * 2 * 9 * 16 = 1728 flops
    name = ladder.conv_name(layer)
    times = {"conv " + n: {name: t * 1e-9} for (n, _), t in zip(ladder.CONV_ENTRIES, [1728, 172.8, 86.4, 43.2])}
    limits = {"isa": "avx2", "levels": {"avx2": {"1": 40.0}}}
    text = ladder.format_conv_table(times, [layer], limits)
    rows = {ln.split("  ")[0].strip(): ln for ln in text.splitlines()}
    assert name in text and "1.0 2%" in rows["1 direct"]
    assert "10.0 (10.0x) 25%" in rows["2 im2col"] and "20.0 (2.0x) 50%" in rows["3 winograd"]
    assert "40.0 100%" in rows["fastnn conv2d, 1 thread"]


def test_conv_rows_run_in_the_worker():
    times, threads = ladder.run([8], rounds=1, target_s=0.001, progress=False, conv_layers=[(1, 2, 3, 6)])
    for name, _ in ladder.CONV_ENTRIES:
        assert times["conv " + name][ladder.conv_name((1, 2, 3, 6))] > 0, name
    assert threads >= 1


def test_bad_sizes_are_rejected():
    from fastnn.bench.__main__ import main
    for bad in ("", "x", "0,8"):
        with pytest.raises(SystemExit):
            main(["--ladder", "--sizes", bad])
