"""The default process group: MPI_COMM_WORLD, as ``torch.distributed`` names it.

``init_process_group(backend="mpi")`` takes rank and size from MPI, which the
launcher (``mpirun``, ``srun``, ``mpiexec``) has already set up, so no
address, port or store is needed. fastnn has one backend: MPI through mpi4py.
PyTorch's CPU backend name ``"gloo"`` is refused with a message rather than
quietly mapped, because a gloo script is launched by ``torchrun`` with
MASTER_ADDR/PORT and would need a different launcher here anyway: the one-word
change ``backend="mpi"`` makes that visible.

Three things change in a process once the group is up:

* a rank waiting in a collective yields its core instead of spinning on it
  (Open MPI's ``mpi_yield_when_idle``; see ``_import_mpi``), unless the user
  set ``OMPI_MCA_mpi_yield_when_idle``;
* an uncaught exception prints its traceback and calls ``MPI_Abort``, so the
  launcher ends every rank with that error instead of leaving the others
  blocked in their next collective (``sys.excepthook``; restored by
  ``destroy_process_group``);
* when neither ``set_num_threads`` nor ``OMP_NUM_THREADS`` chose a thread
  count, each rank computes with its share of the cores it may run on: those
  cores divided by the ranks on this node allowed on them too (all of them
  when the launcher pinned each rank to cores of its own), since ranks sharing
  cores would otherwise each start one thread per core and take turns on them.
"""
import os
import sys

_state = {"comm": None, "prev_excepthook": None}

_SUPPORTED = ("mpi",)


def _import_mpi():
    """mpi4py's MPI module (initialises MPI on first import) or a clear ImportError."""
    if "mpi4py.MPI" not in sys.modules:
        # A rank waiting in a collective spins on its core by default. When the
        # cores are shared (ranks beside other work, or a rank's own threads), the
        # spinner takes CPU time from the rank it waits for: a DDP step of 2 ranks
        # on a busy 2-core AMD EPYC took 5-7x longer spinning than yielding
        # (python -m fastnn.bench --ddp, OMPI_MCA_mpi_yield_when_idle=0 vs 1).
        # Yielding costs a sched_yield per poll on an idle core. Open MPI reads
        # this at MPI_Init; a user's own setting wins.
        os.environ.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            "fastnn.distributed needs mpi4py and an MPI library: pip install \"fastnn[mpi]\" "
            f"(with e.g. Open MPI installed: apt-get install openmpi-bin libopenmpi-dev): {exc}"
        ) from None
    return MPI


def is_available():
    """True when mpi4py can be imported (the MPI backend is usable)."""
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_initialized():
    return _state["comm"] is not None


def _comm(what="this call"):
    comm = _state["comm"]
    if comm is None:
        raise RuntimeError(f"{what}: the default process group has not been initialized; "
                           "call fastnn.distributed.init_process_group(backend='mpi') first")
    return comm


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default process group (every rank the launcher started).

    ``backend`` is ``"mpi"`` (or None, which means it). ``world_size`` and
    ``rank`` may be left at -1; given, they must equal what MPI reports.
    ``init_method``, ``store`` and ``timeout`` belong to the TCP-rendezvous
    backends and are not used by MPI: an ``init_method`` other than
    ``"env://"`` and a ``store`` are refused, ``timeout`` is accepted and
    ignored (MPI has none).
    """
    if _state["comm"] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else backend
    if not isinstance(name, str) or name.lower() not in _SUPPORTED:
        hint = (" (launch the script with mpirun/srun and pass backend='mpi'; see docs/distributed.md)"
                if isinstance(name, str) and name.lower() in ("gloo", "nccl", "ucc") else "")
        raise ValueError(f"init_process_group: backend must be 'mpi', got {backend!r}{hint}")
    if init_method is not None and init_method != "env://":
        raise ValueError(f"init_process_group: init_method is not used by the MPI backend "
                         f"(rank and size come from the launcher), got {init_method!r}")
    if store is not None:
        raise ValueError("init_process_group: store is not used by the MPI backend")
    for arg, value in (("world_size", world_size), ("rank", rank)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"init_process_group: {arg} must be an int, got {type(value).__name__}")
    MPI = _import_mpi()
    comm = MPI.COMM_WORLD
    if world_size not in (-1, comm.Get_size()):
        raise ValueError(f"init_process_group: world_size={world_size} but MPI started "
                         f"{comm.Get_size()} processes")
    if rank not in (-1, comm.Get_rank()):
        raise ValueError(f"init_process_group: rank={rank} but MPI says this process is rank "
                         f"{comm.Get_rank()}")
    _state["comm"] = comm
    _install_abort_hook()
    _default_threads(MPI, comm)


def destroy_process_group(group=None):
    """Leave the default group. MPI itself stays up (it cannot be restarted in one
    process) and is finalised at exit, so a later init_process_group works."""
    _check_group(group)
    _comm("destroy_process_group")
    _state["comm"] = None
    if _state["prev_excepthook"] is not None:
        if sys.excepthook is _abort_excepthook:
            sys.excepthook = _state["prev_excepthook"]
        _state["prev_excepthook"] = None


def get_rank(group=None):
    """This process's rank in the default group."""
    _check_group(group)
    return _comm("get_rank").Get_rank()


def get_world_size(group=None):
    """How many processes the default group holds."""
    _check_group(group)
    return _comm("get_world_size").Get_size()


def get_backend(group=None):
    _check_group(group)
    _comm("get_backend")
    return "mpi"


def barrier(group=None, async_op=False, device_ids=None):
    """Block until every rank has reached this call."""
    _check_group(group)
    comm = _comm("barrier")
    if async_op:
        from .collectives import Work
        return Work(comm.Ibarrier())
    comm.Barrier()
    return None


class _World:
    """``fastnn.distributed.group.WORLD``: the only group fastnn has."""

    def __repr__(self):
        return "fastnn.distributed.group.WORLD"


class group:  # noqa: N801 - PyTorch's name (torch.distributed.group.WORLD)
    WORLD = _World()


def _check_group(g):
    if g is not None and g is not group.WORLD:
        raise ValueError("group: fastnn.distributed has only the default group (None or group.WORLD), "
                         f"got {g!r}")


# --- one failing rank ends the job ---------------------------------------------------
def _abort_excepthook(exc_type, exc, tb):
    prev = _state["prev_excepthook"] or sys.__excepthook__
    try:
        rank = _state["comm"].Get_rank() if _state["comm"] is not None else "?"
        sys.stderr.write(f"fastnn.distributed: uncaught exception on rank {rank}; aborting all ranks\n")
        prev(exc_type, exc, tb)
        sys.stderr.flush()
        sys.stdout.flush()
    finally:
        if _state["comm"] is not None:
            _state["comm"].Abort(1)


def _install_abort_hook():
    if sys.excepthook is not _abort_excepthook:
        _state["prev_excepthook"] = sys.excepthook
        sys.excepthook = _abort_excepthook


# --- threads per rank ----------------------------------------------------------------
def _default_threads(MPI, comm):
    from .. import _threads
    if _threads._requested is not None or os.environ.get("OMP_NUM_THREADS"):
        return
    try:
        mine = frozenset(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: assume every rank may run on every core
        mine = frozenset(range(os.cpu_count() or 1))
    # The ranks on this node that may run on the same cores share them; ranks the
    # launcher pinned to cores of their own share nothing.
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    sets = local.allgather(mine)
    local.Free()
    sharing = sum(1 for other in sets if other & mine)
    n = max(1, len(mine) // sharing)
    if n != _threads.get_num_threads():
        _threads.set_num_threads(n)
