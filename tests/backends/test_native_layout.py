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


# Issue 18 (readability) for the kernel families split into one algorithm per
# file: conv (its .pyx includes one .pxi per algorithm), pool, optim, and the loop
# shell they share. Cython's generated C (_<module>.c) is not source.
_SPLIT_FAMILIES = ("conv", "pool", "optim")
_SOURCE_EXTS = (".pyx", ".pxi", ".pxd", ".c", ".h")


def _kernel_sources():
    import pathlib
    native = pathlib.Path(importlib.import_module("fastnn.backends.native").__file__).parent
    files = [native / "common" / "_parallel.pxd"]
    for fam in _SPLIT_FAMILIES:
        files += sorted(p for p in (native / fam).iterdir()
                        if p.suffix in _SOURCE_EXTS and not (p.suffix == ".c" and p.name.startswith("_")))
    return files


def test_kernel_files_are_short_and_open_with_a_comment():
    files = _kernel_sources()
    assert len(files) > 20, [f.name for f in files]   # the sources ship with the package
    for f in files:
        lines = f.read_text(encoding="utf-8").splitlines()
        assert len(lines) <= 600, f"{f.name}: {len(lines)} lines (issue 18: at most 600)"
        body = [s for s in lines if not s.startswith("# distutils:")]
        assert body and body[0].startswith(("#", "/*")), f"{f.name}: opens without a comment"


def test_conv_module_keeps_its_python_names():
    """The per-algorithm .pxi files are included into the one _conv module, so
    conv/__init__.py and conv_transpose import the same names as before the split."""
    conv = importlib.import_module("fastnn.backends.native.conv._conv")
    names = {"isa_level", "team", "bias_grad", "forward_gemm", "backward_gemm",
             "depthwise_forward", "depthwise_backward_input", "depthwise_backward_weight",
             "SMALL_K", "packed_sizes", "forward_packed", "backward_packed", "forward_small",
             "backward_small", "winograd_sizes", "winograd_weights", "winograd_weight_grad",
             "forward_winograd", "backward_winograd"}
    assert names <= set(dir(conv)), sorted(names - set(dir(conv)))
    assert conv.SMALL_K == 12
