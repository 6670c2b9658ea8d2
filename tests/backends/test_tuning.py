"""The per-machine thread thresholds: cache location and key, loading rules,
the break-even search, and one real measurement in a fresh process."""
import json
import os

import pytest

from fastnn.backends.native import tuning


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNN_CACHE_DIR", str(tmp_path))
    for name in ("FASTNN_PAR_MIN_ELEMS", "FASTNN_PAR_MIN_MACS", "FASTNN_NO_TUNE", "FASTNN_ISA"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _write(entry):
    os.makedirs(os.path.dirname(tuning.cache_path()), exist_ok=True)
    with open(tuning.cache_path(), "w") as fh:
        json.dump({tuning.machine_key(): entry}, fh)


def test_cache_path_follows_env(cache_dir):
    assert tuning.cache_path() == os.path.join(str(cache_dir), "tuning.json")


def test_key_names_cpu_isa_and_version(cache_dir, monkeypatch):
    import fastnn
    key = tuning.machine_key()
    assert tuning.cpu_model() in key and fastnn.__version__ in key and "isa=auto" in key
    monkeypatch.setenv("FASTNN_ISA", "avx2")
    assert tuning.machine_key() != key and "isa=avx2" in tuning.machine_key()


def test_load_applies_cached_values(cache_dir, monkeypatch):
    _write({"FASTNN_PAR_MIN_ELEMS": 12345, "FASTNN_PAR_MIN_MACS": 678910})
    assert tuning.load() == {"FASTNN_PAR_MIN_ELEMS": 12345, "FASTNN_PAR_MIN_MACS": 678910}
    assert os.environ["FASTNN_PAR_MIN_ELEMS"] == "12345"
    monkeypatch.delenv("FASTNN_PAR_MIN_ELEMS")
    monkeypatch.delenv("FASTNN_PAR_MIN_MACS")


def test_user_setting_and_no_tune_win(cache_dir, monkeypatch):
    _write({"FASTNN_PAR_MIN_ELEMS": 12345, "FASTNN_PAR_MIN_MACS": 678910})
    monkeypatch.setenv("FASTNN_PAR_MIN_ELEMS", "7")
    assert tuning.load() == {"FASTNN_PAR_MIN_MACS": 678910}
    assert os.environ["FASTNN_PAR_MIN_ELEMS"] == "7"
    monkeypatch.delenv("FASTNN_PAR_MIN_MACS")
    monkeypatch.setenv("FASTNN_NO_TUNE", "1")
    assert tuning.load() == {}
    assert "FASTNN_PAR_MIN_MACS" not in os.environ


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"other machine": {}}'])
def test_bad_or_foreign_cache_is_ignored(cache_dir, content):
    with open(tuning.cache_path(), "w") as fh:
        fh.write(content)
    assert tuning.load() == {}


def test_break_even_takes_the_first_size_that_keeps_winning(monkeypatch):
    import fastnn
    current = {"n": 1}
    monkeypatch.setattr(fastnn, "set_num_threads", lambda n: current.update(n=n))
    # sizes 1..5: all threads win at 2, lose at 3, win from 4 on
    wins = {1: False, 2: True, 3: False, 4: True, 5: True}
    clock = {"t": 0.0}
    monkeypatch.setattr(tuning.time, "perf_counter", lambda: clock["t"])

    def run(size):
        def fn():
            cost = 1.0 if current["n"] == 1 or not wins[size] else 0.5
            clock["t"] += cost
        return fn
    assert tuning._break_even([1, 2, 3, 4, 5], run, 2, budget_s=1e9) == 4
    wins.update({4: False, 5: False})
    assert tuning._break_even([1, 2, 3, 4, 5], run, 2, budget_s=1e9) == 20


def test_tune_measures_and_caches(cache_dir):
    import fastnn
    result = tuning.tune()
    if fastnn.get_num_threads() < 2:
        assert result == {}
        return
    for name in ("FASTNN_PAR_MIN_ELEMS", "FASTNN_PAR_MIN_MACS"):
        assert isinstance(result[name], int) and result[name] > 0
    with open(tuning.cache_path()) as fh:
        cached = json.load(fh)[tuning.machine_key()]
    assert cached["FASTNN_PAR_MIN_MACS"] == result["FASTNN_PAR_MIN_MACS"]
    assert not [f for f in os.listdir(cache_dir) if f.endswith(".tmp")]


def test_l2_cache_size_is_plausible():
    l2 = tuning.l2_cache_bytes()
    assert isinstance(l2, int) and (64 << 10) <= l2 <= (64 << 20)


def test_conv_blocks_follow_l2():
    from fastnn.backends.native import conv
    assert conv._WINOGRAD_BYTES == tuning.l2_cache_bytes()
    assert conv._PACKED_BYTES * 2 == conv._BLOCK_BYTES * 4 == conv._WINOGRAD_BYTES
