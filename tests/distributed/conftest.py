"""The ``mpirun`` fixture: launch a script in scripts/ under ``mpirun -n 2`` (see mpi_launch.py)."""
import os
import sys

import pytest

from mpi_launch import SCRIPTS, launch, mpirun_command, why_no_mpi


@pytest.fixture
def mpirun():
    reason = why_no_mpi()
    if reason:
        pytest.skip(reason)

    def run(script, *args, n=2, timeout=90, threads="1", env=None, check=True):
        cmd = mpirun_command(n) + [sys.executable, os.path.join(SCRIPTS, script)] + list(args)
        proc = launch(cmd, timeout, threads, env)
        if proc is None:
            pytest.fail(f"{script} under mpirun -n {n} did not finish in {timeout} s")
        out = proc.stdout + proc.stderr
        if check:
            assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{out}"
            for r in range(n):
                assert f"rank {r} ok" in proc.stdout, f"rank {r} did not finish {script}:\n{out}"
        return proc
    return run
