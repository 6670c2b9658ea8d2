"""fastnn.distributed in one process: argument errors before any MPI call, imports
that need no mpi4py, and a world of one rank (a subprocess, so that MPI never
starts inside the test session)."""
import importlib.util
import os
import subprocess
import sys

import pytest

import fastnn
import fastnn.distributed as dist

from mpi_launch import SCRIPTS, mpi_env, why_no_mpi


def test_is_available_says_whether_mpi4py_imports():
    assert dist.is_available() == (importlib.util.find_spec("mpi4py") is not None)
    assert dist.is_mpi_available() == dist.is_available()
    assert fastnn.distributed is dist


def test_importing_the_distributed_parts_does_not_start_mpi():
    code = ("import sys, fastnn, fastnn.distributed, fastnn.nn.parallel, "
            "fastnn.utils.data.distributed; print('mpi4py.MPI' in sys.modules)")
    from fastnn._child import package_root
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=package_root())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_calls_before_init_say_what_to_do():
    if dist.is_initialized():
        pytest.skip("a process group is up in this process")
    for call in (dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.all_reduce(fastnn.zeros(2)), lambda: dist.broadcast(fastnn.zeros(2), 0),
                 dist.destroy_process_group):
        with pytest.raises(RuntimeError, match="init_process_group"):
            call()
    with pytest.raises(RuntimeError, match="init_process_group"):
        fastnn.nn.parallel.DistributedDataParallel(fastnn.nn.Linear(2, 2))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(backend="gloo"), ValueError, "mpirun"),
    (dict(backend="nccl"), ValueError, "backend must be 'mpi'"),
    (dict(backend=3), ValueError, "backend"),
    (dict(backend="mpi", init_method="tcp://10.0.0.1:23456"), ValueError, "init_method"),
    (dict(backend="mpi", store=object()), ValueError, "store"),
    (dict(backend="mpi", world_size="2"), TypeError, "world_size"),
    (dict(backend="mpi", rank=1.0), TypeError, "rank"),
])
def test_bad_init_arguments(kwargs, exc, match):
    # refused before MPI is touched, so this runs in the test process
    with pytest.raises(exc, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_missing_mpi4py_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py -> ImportError
    with pytest.raises(ImportError, match=r"fastnn\[mpi\]"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_reduce_op_names():
    assert {op.name for op in dist.ReduceOp} >= {"SUM", "PRODUCT", "MIN", "MAX", "AVG"}


def test_world_of_one_without_a_launcher():
    reason = why_no_mpi(need_launcher=False)
    if reason:
        pytest.skip(reason)
    out = subprocess.run([sys.executable, os.path.join(SCRIPTS, "world_of_one.py")],
                         capture_output=True, text=True, timeout=120, env=mpi_env("1"),
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rank 0 ok" in out.stdout


def test_keras_fit_alone_is_untouched_and_mpirun_without_mpi4py_warns(monkeypatch):
    from fastnn.keras import distributed as kd
    for var in kd._SIZE_VARS:
        monkeypatch.delenv(var, raising=False)
    assert kd.current() is None                       # no launcher: fit runs as before
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "1")
    assert kd.current() is None
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    monkeypatch.setattr(dist, "is_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="each trains alone"):
        assert kd.current() is None
    assert not dist.is_initialized()
