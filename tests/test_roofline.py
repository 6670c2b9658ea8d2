"""``python -m fastnn.bench --roofline`` (fastnn/bench/roofline.py, work.py): the
machine probes return sane numbers quickly, every case of the standard set has a
work model and gets a percentage, the grading arithmetic is right, and the
chart is written when matplotlib is there. No time is asserted."""
import json

import numpy as np
import pytest

pytest.importorskip("fastnn.backends.native.probe._probe")

from fastnn.backends.native import available_isas  # noqa: E402
from fastnn.bench import roofline, work  # noqa: E402
from fastnn.bench.cases import STANDARD  # noqa: E402


@pytest.mark.parametrize("level", available_isas())
@pytest.mark.parametrize("threads", [1, 2])
def test_peak_probe_is_positive_and_bounded(level, threads):
    gflops = roofline.peak_gflops(level, threads, seconds=0.002, repeats=2)
    # above a 1990s CPU, below what 2 cores could do at 10 GHz with 4 x 512-bit FMA units
    assert 0.1 < gflops < 2 * 10 * 4 * 32


@pytest.mark.parametrize("threads", [1, 2])
def test_triad_probe_is_positive_and_bounded(threads):
    gbs = roofline.bandwidth_gbs(threads, 4 << 20, seconds=0.002, repeats=2)
    assert 0.1 < gbs < 10000


def test_triad_computes_the_triad():
    from fastnn.backends.native.probe import _probe
    n = 1000
    a, b, c = np.zeros(n), np.arange(n, dtype=float), np.full(n, 2.0)
    _probe.triad(a, b, c, 3.0, 1, 2)
    np.testing.assert_array_equal(a, b + 3.0 * c)
    _probe.triad(a, b, c, 3.0, 4, 2)    # the last pass uses s + 3
    np.testing.assert_array_equal(a, b + 6.0 * c)


def test_fma_probe_counts_its_flops():
    from fastnn.backends.native.probe import _probe
    for name in available_isas():
        lanes_acc = {"avx512": 16 * 24, "avx2": 8 * 12}.get(name)
        flops = _probe.fma(roofline.LEVEL_NUMBER[name], 10, 2)
        if lanes_acc:
            assert flops == 2 * 2 * 10 * lanes_acc
        else:                   # generic: 4 lanes x 12, or 1 x 12 in a plain-C build
            assert flops in (2 * 2 * 10 * 48, 2 * 2 * 10 * 12)


def test_caches_and_cpu_lists():
    assert roofline._count_cpus("0") == 1
    assert roofline._count_cpus("0-3,8") == 5
    found = roofline.caches()
    assert found == sorted(found, key=lambda c: c[1])
    for name, size, sharing in found:
        assert name[0] == "L" and size > 0 and sharing >= 1
    assert roofline.llc_bytes() > 0
    assert roofline.capacity(("L2", 1 << 20, 1), 2) == 2 << 20     # private: one per core
    assert roofline.capacity(("L3", 32 << 20, 8), 2) == 32 << 20   # shared by 8 cores


def test_every_standard_case_has_a_work_model():
    for name, _ in STANDARD:
        assert name in work.WORK, f"fastnn/bench/work.py has no model for {name!r}"
        flops, nbytes = work.WORK[name](4)
        assert flops > 0 and nbytes > 0, name
        assert work.WORK[name](8)[1] > nbytes  # float64 moves more bytes


def test_work_models_by_hand():
    assert work.gemm(2, 3, 4)(4) == (2.0 * 24, 4 * (6 + 12 + 8))
    flops, nbytes = work.conv(1, 1, 1, 3, 5)(4)     # 3x3 output, 9 taps: 81 MACs
    assert flops == 3 * 2 * 81
    assert nbytes == 4 * (2 * 25 + 2 * 9 + 2 * 9 + 2)
    assert work.adam(10)(4) == (130.0, 280)


def _limits():
    """A made-up machine: peak 100 GFLOP/s at 1 thread, 200 at 2; L2 of 1 MiB per core."""
    mem = lambda k: [["L2", k << 20, 100.0 * k], ["DRAM", None, 10.0 * k]]  # noqa: E731
    return {"isa": "avx2", "levels": {"avx2": {"1": 100.0, "default": 200.0}, "generic": {"1": 25.0, "default": 50.0}},
            "memory": {"1": mem(1), "default": mem(2)}, "threads": {"1": 1, "default": 2}, "dram_array_mib": 128}


def test_roof_and_memory_levels():
    lim = _limits()
    assert roofline.roof(lim, 1, 1000.0) == 100.0                       # compute-bound
    assert roofline.roof(lim, 1, 2.0) == 20.0                           # 2 flop/B x 10 GB/s
    assert roofline.roof(lim, 1, 2.0, nbytes=1000) == 100.0             # in L2: 2 x 100 GB/s, capped
    assert roofline.roof(lim, 1, 0.5, nbytes=1000) == 50.0
    assert roofline.roof(lim, "default", 0.5, nbytes=1.5 * (1 << 20)) == 100.0  # 2 MiB of L2 at 2 threads
    assert roofline.roof(lim, 1, 0.5, nbytes=1.5 * (1 << 20)) == 5.0            # more than 1 MiB
    assert roofline.roof(lim, 1, 1000.0, itemsize=8) == 50.0            # float64: half the lanes
    assert roofline.ridge(lim, 1) == 10.0


def test_grade_gives_a_percentage_for_every_case():
    lim = _limits()
    results = [{"case": name, "threads": t, "times": {"native": 1e-3, "torch": 2e-3, "numpy": 5e-3}}
               for name, _ in STANDARD for t in (1, "default")]
    results.append({"case": "not a standard case", "threads": 1, "times": {"native": 1.0}})
    rows = roofline.grade(results, lim)
    for row in rows[:-1]:
        flops, nbytes = work.WORK[row["case"]](4)
        nat = row["sides"]["native"]
        assert nat["gflops"] == pytest.approx(flops / 1e-3 / 1e9)
        assert nat["gbs"] == pytest.approx(nbytes / 1e-3 / 1e9)
        assert nat["percent"] == pytest.approx(100 * nat["gflops"] / row["roof"])
        assert row["sides"]["torch"]["percent"] == pytest.approx(nat["percent"] / 2)
        assert row["bound"] in ("compute", "L2", "DRAM")
    assert rows[-1]["model"] is False
    text = roofline.format_grades(rows)
    for name, _ in STANDARD:
        lines = [ln for ln in text.splitlines() if ln.startswith(name + " ")]
        assert len(lines) == 2 and all(ln.count("%") == 2 for ln in lines), name
    assert "no work model" in text


def test_more_threads_never_lower_the_roof():
    lim = _limits()
    lim["levels"]["avx2"]["default"] = 50.0     # a busy machine pulled it down
    lim["memory"]["default"][1][2] = 5.0
    roofline._at_least_fewer_threads(lim)
    assert lim["levels"]["avx2"]["default"] == 100.0
    assert lim["memory"]["default"][1][2] == 10.0
    assert lim["memory"]["default"][0][2] == 200.0   # already higher: kept


def test_format_limits_names_the_cpu_and_every_level():
    text = roofline.format_limits(_limits(), "Test CPU 9000")
    assert "Test CPU 9000" in text and "avx2 (the kernels' level)" in text and "generic" in text
    assert "L2 cache" in text and "main memory" in text and "10.0 flop/B" in text


def test_chart_is_written_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    lim = _limits()
    rows = roofline.grade([{"case": "gemm 256", "threads": 1, "times": {"native": 1e-3}}], lim)
    path = tmp_path / "roof.png"
    assert roofline.plot(rows, lim, str(path)) == str(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_is_skipped_without_matplotlib(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert roofline.plot([], _limits(), str(tmp_path / "roof.png")) is None
    assert not (tmp_path / "roof.png").exists()


def test_roofline_flag_end_to_end(tmp_path, capsys):
    from fastnn.bench.__main__ import main
    path, png = tmp_path / "bench.json", tmp_path / "roof.png"
    case = "mlp 784-128-10 inference B1"
    assert main(["--roofline", "-k", case, "--quick", "--rounds", "1", "-t", "1", "--no-torch",
                 "--json", str(path), "--plot", "", "--roofline-chart", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Roofline of" in out and "% roof" in out and "STREAM triad" in out
    report = json.loads(path.read_text())
    limits, grades = report["roofline"]["limits"], report["roofline"]["grades"]
    assert limits["threads"] == {"1": 1}
    assert all(v["1"] > 0 for v in limits["levels"].values())
    assert [g["case"] for g in grades] == [case]
    assert grades[0]["sides"]["native"]["percent"] > 0
    line = next(ln for ln in out.splitlines() if ln.startswith(case) and "%" in ln)
    assert line.rstrip().endswith("-")  # no torch column without torch
    try:
        import matplotlib  # noqa: F401
        assert png.exists()
    except ImportError:
        assert not png.exists()
