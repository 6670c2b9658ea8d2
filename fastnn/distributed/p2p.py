"""Point-to-point messages between two ranks: send / recv and their non-blocking isend / irecv.

As with the collectives, the tensor's own memory goes to MPI (no pickling);
``recv`` writes into the tensor it is given, which must have the sender's
shape and dtype. ``src=None`` receives from any rank and returns which one sent.
"""
from .collectives import Work, _array, _rank_arg
from .process_group import _check_group, _comm, _import_mpi

__all__ = ["send", "recv", "isend", "irecv"]


def _tag(tag, what):
    if isinstance(tag, bool) or not isinstance(tag, int) or tag < 0:
        raise ValueError(f"{what}: tag must be an int >= 0, got {tag!r}")
    return tag


def _peer(rank, arg, what, comm):
    rank = _rank_arg(rank, arg, what, comm.Get_size())
    if rank == comm.Get_rank():
        raise ValueError(f"{what}: {arg}={rank} is this rank itself")
    return rank


def send(tensor, dst, group=None, tag=0):
    """Send ``tensor`` to rank ``dst`` (returns once the buffer may be reused)."""
    _check_group(group)
    comm = _comm("send")
    comm.Send(_array(tensor, "tensor", "send", writable=False), dest=_peer(dst, "dst", "send", comm),
              tag=_tag(tag, "send"))


def recv(tensor, src=None, group=None, tag=0):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the sender's rank."""
    _check_group(group)
    comm = _comm("recv")
    MPI = _import_mpi()
    arr = _array(tensor, "tensor", "recv")
    source = MPI.ANY_SOURCE if src is None else _peer(src, "src", "recv", comm)
    status = MPI.Status()
    comm.Recv(arr, source=source, tag=_tag(tag, "recv"), status=status)
    return status.Get_source()


def isend(tensor, dst, group=None, tag=0):
    """Start sending ``tensor`` to ``dst``; the returned Work's ``wait()`` completes it."""
    _check_group(group)
    comm = _comm("isend")
    arr = _array(tensor, "tensor", "isend", writable=False)
    return Work(comm.Isend(arr, dest=_peer(dst, "dst", "isend", comm), tag=_tag(tag, "isend")),
                keep=(arr,))


def irecv(tensor, src=None, group=None, tag=0):
    """Start receiving into ``tensor``; the returned Work's ``wait()`` completes it."""
    _check_group(group)
    comm = _comm("irecv")
    MPI = _import_mpi()
    arr = _array(tensor, "tensor", "irecv")
    source = MPI.ANY_SOURCE if src is None else _peer(src, "src", "irecv", comm)
    return Work(comm.Irecv(arr, source=source, tag=_tag(tag, "irecv")), keep=(arr,))
