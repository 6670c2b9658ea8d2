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
