"""Fixtures for the cupy-backend tests.

``dev`` runs each test twice: on "host" -- the backend's real Python code and
its real .cu kernels compiled for the CPU by the host C++ compiler
(host_cupy.py), which needs no GPU -- and on "cuda" (marked gpu), with real
CuPy on a real GPU, skipped with the reason when CuPy or a GPU is missing.
"""
import types

import numpy as np
import pytest

import host_cupy


def _cuda_skip_reason():
    import fastnn.cuda
    fastnn.cuda._reset_probe()
    return fastnn.cuda.unavailable_reason()


def pytest_collection_modifyitems(config, items):
    reason = None
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            if reason is None:
                reason = _cuda_skip_reason() or ""
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"GPU test skipped: {reason}"))


@pytest.fixture(params=["host", pytest.param("cuda", marks=pytest.mark.gpu)])
def dev(request, monkeypatch):
    if request.param == "host":
        if host_cupy.compiler() is None:
            pytest.skip("no host C++ compiler (g++/clang++) to emulate the CUDA kernels")
        with host_cupy.installed(monkeypatch) as xp:
            yield types.SimpleNamespace(name="host", xp=xp, to=xp.asarray,
                                        host=lambda a: None if a is None else np.asarray(a.get()))
    else:
        import cupy
        yield types.SimpleNamespace(name="cuda", xp=cupy, to=cupy.asarray,
                                    host=lambda a: None if a is None else cupy.asnumpy(a))
