"""Every ``>>>`` example in fastnn's docstrings runs, as a doctest.

Public classes and functions carry PyTorch-style docstrings (Args, Shape,
Example); the examples are part of the documentation, so they are checked here
against what the code prints. Modules that need an optional package (onnx,
mpi4py, cupy, matplotlib) are skipped when it is missing.

Examples start from the names PyTorch's docs assume: ``fastnn`` (also as
``torch``-style ``fastnn``), ``nn``, ``F``, ``optim`` and ``np``; the generator
is seeded before each module so random examples print the same numbers.
"""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import fastnn

# Entry points that do work when imported, not libraries.
_NOT_LIBRARIES = ("__main__",)


def _module_names():
    names = ["fastnn"]
    for info in pkgutil.walk_packages(fastnn.__path__, "fastnn.", onerror=lambda name: None):
        if info.name.rsplit(".", 1)[-1] in _NOT_LIBRARIES:
            continue
        names.append(info.name)
    return sorted(names)


def _examples(module):
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module.__name__) if t.examples]


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples_run(name):
    try:
        module = importlib.import_module(name)
    except ImportError as err:  # an optional engine is not installed here
        pytest.skip(f"{name} needs {err.name or err}")
    tests = _examples(module)
    if not tests:
        return
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    for test in tests:
        fastnn.manual_seed(0)
        np.random.seed(0)
        test.globs.update(fastnn=fastnn, nn=fastnn.nn, F=fastnn.nn.functional,
                          optim=fastnn.optim, np=np)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"


def test_the_finder_sees_examples():
    # Guards the test above against collecting nothing: fastnn.tensor documents
    # itself with an example (in fastnn/_factory.py).
    assert any(t.name.endswith(".tensor") for t in _examples(importlib.import_module("fastnn._factory"))), \
        "no docstring examples found at all"
