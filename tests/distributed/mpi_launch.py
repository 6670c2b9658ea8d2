"""Helpers for launching the multi-rank tests: ``mpirun -n 2`` on a script in scripts/, from pytest.

Each script asserts on every rank and prints ``rank R ok``; a test passes when
mpirun exits 0 within its timeout and every rank said so (conftest.py's fixture skips when
mpirun or mpi4py is missing). Each rank computes on one thread (two ranks share
this machine's cores), and Open MPI is told what a container allows: no
single-copy (ptrace) transfers between ranks, more ranks than cores allowed.
"""
import functools
import os
import shutil
import subprocess
import sys

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def mpi_env(threads="1"):
    from fastnn._child import package_root
    env = dict(os.environ)
    env["PYTHONPATH"] = package_root() + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env.pop("FASTNN_PAR_MIN_SCALE", None)  # the test session's setting is for its own kernels
    if threads is None:
        env.pop("OMP_NUM_THREADS", None)
    else:
        env["OMP_NUM_THREADS"] = threads
    return env


def mpirun_command(n):
    cmd = ["mpirun", "-n", str(n), "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def launch(cmd, timeout, threads="1", extra_env=None):
    """Run ``cmd`` in its own process group; None (and the group ended) past ``timeout``."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=dict(mpi_env(threads), **(extra_env or {})), stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        stdout, stderr = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)  # mpirun and the ranks it started, nothing else
        p.communicate()
        return None
    return subprocess.CompletedProcess(cmd, p.returncode, stdout, stderr)


@functools.lru_cache(maxsize=None)
def why_no_mpi(need_launcher=True):
    """None when MPI can run here, else the reason (asked once per session, in a child
    process, so that MPI never starts inside the test session)."""
    import importlib.util
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install \"fastnn[mpi]\")"
    if need_launcher and shutil.which("mpirun") is None:
        return "mpirun is not installed (apt-get install openmpi-bin)"
    try:
        probe = subprocess.run([sys.executable, "-c", "from mpi4py import MPI"], capture_output=True,
                               text=True, timeout=60, env=mpi_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "importing mpi4py.MPI hung"
    if probe.returncode != 0:
        return "mpi4py cannot load an MPI library: " + probe.stderr.strip().splitlines()[-1:][0] \
            if probe.stderr.strip() else "mpi4py cannot load an MPI library"
    return None
