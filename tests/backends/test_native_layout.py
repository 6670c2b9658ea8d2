"""The native backend's folders: one per kernel family plus common/. The old flat
import paths of the compiled modules (fastnn.backends.native._gemm, ...) still work
and give the very same module objects."""
import importlib

import pytest

pytest.importorskip("fastnn.backends.native.common._openmp")

MOVED = {"_gemm": "gemm._gemm", "_conv": "conv._conv", "_pool": "pool._pool", "_rnn": "rnn._rnn",
         "_elementwise": "elementwise._elementwise", "_openmp": "common._openmp",
         "_optim": "optim._optim"}


@pytest.mark.parametrize("old,new", sorted(MOVED.items()))
def test_old_import_paths_alias_the_moved_modules(old, new):
    base = "fastnn.backends.native"
    moved = importlib.import_module(f"{base}.{new}")
    assert importlib.import_module(f"{base}.{old}") is moved
    pkg = importlib.import_module(base)
    assert getattr(pkg, old) is moved


def test_from_import_of_an_old_path():
    from fastnn.backends.native import _openmp
    from fastnn.backends.native.common import _openmp as moved
    assert _openmp is moved and _openmp.get_max_threads() >= 1
