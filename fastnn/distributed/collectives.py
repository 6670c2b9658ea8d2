"""Collectives on fastnn tensors: all_reduce, broadcast, all_gather, reduce, ...

Each call hands the tensor's NumPy array to mpi4py's upper-case (buffer)
methods, so MPI reads and writes the tensor's own memory: no pickling, no copy
for all_reduce / broadcast / reduce, which work in place as in PyTorch. With
``async_op=True`` the non-blocking MPI call (Iallreduce, Ibcast, ...) is
started and a ``Work`` returned; ``Work.wait()`` completes it. Tensors must be
CPU, C-contiguous, and of a dtype MPI has (float32/64, int8/16/32/64, uint8).
"""
import enum

import numpy as np

from .process_group import _check_group, _comm, _import_mpi

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce", "gather", "scatter", "reduce_scatter_tensor", "all_gather_object",
           "broadcast_object_list"]

_DTYPES = tuple(np.dtype(t) for t in (np.float32, np.float64, np.int8, np.int16, np.int32,
                                      np.int64, np.uint8))


class ReduceOp(enum.Enum):
    """How all_reduce / reduce combine the ranks' tensors (PyTorch's names)."""
    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"          # SUM, then divided by the world size (floating point only)
    BAND = "band"        # bitwise, integer only
    BOR = "bor"
    BXOR = "bxor"


def _mpi_op(MPI, op, arr, what):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a fastnn.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and arr.dtype.kind != "f":
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {arr.dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and arr.dtype.kind not in "iu":
        raise TypeError(f"{what}: ReduceOp.{op.name} needs an integer tensor, got {arr.dtype}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


def _array(tensor, arg, what, writable=True):
    """The tensor's array, checked for what MPI can read/write in place."""
    from .._tensor import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: {arg} must be a fastnn.Tensor, got {type(tensor).__name__}")
    arr = tensor._data
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{what}: {arg} must be a CPU tensor (MPI here moves host memory); "
                        "call .cpu() first")
    if arr.dtype not in _DTYPES:
        raise TypeError(f"{what}: {arg} has dtype {arr.dtype}; expected one of "
                        f"{', '.join(str(d) for d in _DTYPES)}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{what}: {arg} must be contiguous (call .contiguous() first)")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{what}: {arg} is read-only")
    return arr


def _rank_arg(value, arg, what, size):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what}: {arg} must be an int rank, got {type(value).__name__}")
    if not 0 <= value < size:
        raise ValueError(f"{what}: {arg} must be a rank in [0, {size}), got {value}")
    return int(value)


class Work:
    """A started non-blocking collective (``async_op=True``); ``wait()`` completes it."""

    def __init__(self, request, on_done=None, keep=()):
        self._request = request
        self._on_done = on_done
        self._done = False
        self._keep = keep  # the arrays MPI reads and writes: alive until complete

    def _finish(self):
        self._done = True
        self._keep = ()
        if self._on_done is not None:
            self._on_done()
            self._on_done = None

    def wait(self, timeout=None):
        """Block until the collective has completed on this rank; returns True."""
        if not self._done:
            self._request.Wait()
            self._finish()
        return True

    def is_completed(self):
        """True once complete (this also drives MPI's progress engine)."""
        if not self._done and self._request.Test():
            self._finish()
        return self._done

    def is_success(self):
        return self._done


def _result(async_op, blocking, nonblocking, on_done=None, keep=()):
    if async_op:
        return Work(nonblocking(), on_done, keep)
    blocking()
    if on_done is not None:
        on_done()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across ranks with ``op``; every rank gets the result in place."""
    _check_group(group)
    comm = _comm("all_reduce")
    MPI = _import_mpi()
    arr = _array(tensor, "tensor", "all_reduce")
    mop = _mpi_op(MPI, op, arr, "all_reduce")
    size = comm.Get_size()
    on_done = (lambda: np.divide(arr, size, out=arr)) if op is ReduceOp.AVG else None
    return _result(async_op, lambda: comm.Allreduce(MPI.IN_PLACE, arr, mop),
                   lambda: comm.Iallreduce(MPI.IN_PLACE, arr, mop), on_done, (arr,))


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` across ranks with ``op`` into rank ``dst``'s tensor (in place).

    The other ranks' tensors are left as they were."""
    _check_group(group)
    comm = _comm("reduce")
    MPI = _import_mpi()
    arr = _array(tensor, "tensor", "reduce")
    mop = _mpi_op(MPI, op, arr, "reduce")
    size, rank = comm.Get_size(), comm.Get_rank()
    dst = _rank_arg(dst, "dst", "reduce", size)
    if rank == dst:
        args = (MPI.IN_PLACE, arr, mop, dst)
        on_done = (lambda: np.divide(arr, size, out=arr)) if op is ReduceOp.AVG else None
    else:
        args = (arr, None, mop, dst)
        on_done = None
    return _result(async_op, lambda: comm.Reduce(*args), lambda: comm.Ireduce(*args), on_done, (arr,))


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into every other rank's ``tensor`` (in place)."""
    _check_group(group)
    comm = _comm("broadcast")
    arr = _array(tensor, "tensor", "broadcast")
    src = _rank_arg(src, "src", "broadcast", comm.Get_size())
    return _result(async_op, lambda: comm.Bcast(arr, root=src),
                   lambda: comm.Ibcast(arr, root=src), keep=(arr,))


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` on every rank."""
    _check_group(group)
    comm = _comm("all_gather")
    size = comm.Get_size()
    arr = _array(tensor, "tensor", "all_gather", writable=False)
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != size:
        raise ValueError(f"all_gather: tensor_list must be a list of {size} tensors "
                         f"(one per rank), got {type(tensor_list).__name__}"
                         + (f" of length {len(tensor_list)}" if isinstance(tensor_list, (list, tuple)) else ""))
    outs = []
    for i, t in enumerate(tensor_list):
        out = _array(t, f"tensor_list[{i}]", "all_gather")
        if out.shape != arr.shape or out.dtype != arr.dtype:
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {out.shape} and dtype {out.dtype}; "
                             f"expected {arr.shape} and {arr.dtype} like tensor")
        outs.append(out)
    recv = np.empty((size,) + arr.shape, dtype=arr.dtype)

    def scatter_back():
        for r, out in enumerate(outs):
            out[...] = recv[r]
    return _result(async_op, lambda: comm.Allgather(arr, recv),
                   lambda: comm.Iallgather(arr, recv), scatter_back, (arr, recv))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Rank r's ``input_tensor`` lands in ``output_tensor[r*n:(r+1)*n]`` on every rank."""
    _check_group(group)
    comm = _comm("all_gather_into_tensor")
    size = comm.Get_size()
    arr = _array(input_tensor, "input_tensor", "all_gather_into_tensor", writable=False)
    out = _array(output_tensor, "output_tensor", "all_gather_into_tensor")
    want = ((arr.shape[0] * size,) + arr.shape[1:]) if arr.ndim else (size,)
    if out.shape != want or out.dtype != arr.dtype:
        raise ValueError(f"all_gather_into_tensor: output_tensor has shape {out.shape} and dtype "
                         f"{out.dtype}; expected {want} and {arr.dtype}")
    return _result(async_op, lambda: comm.Allgather(arr, out),
                   lambda: comm.Iallgather(arr, out), keep=(arr, out))


def _per_rank_list(tensors, arg, what, like, size):
    """The arrays of a list of ``size`` tensors shaped and typed like ``like``."""
    if not isinstance(tensors, (list, tuple)) or len(tensors) != size:
        raise ValueError(f"{what}: {arg} must be a list of {size} tensors (one per rank)")
    arrays = []
    for i, t in enumerate(tensors):
        a = _array(t, f"{arg}[{i}]", what)
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{what}: {arg}[{i}] has shape {a.shape} and dtype {a.dtype}; "
                             f"expected {like.shape} and {like.dtype}")
        arrays.append(a)
    return arrays


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Rank ``dst`` receives every rank's ``tensor`` into ``gather_list`` (None elsewhere)."""
    _check_group(group)
    comm = _comm("gather")
    size, rank = comm.Get_size(), comm.Get_rank()
    dst = _rank_arg(dst, "dst", "gather", size)
    arr = _array(tensor, "tensor", "gather", writable=False)
    if rank != dst:
        if gather_list:
            raise ValueError("gather: gather_list must be None on ranks other than dst")
        return _result(async_op, lambda: comm.Gather(arr, None, root=dst),
                       lambda: comm.Igather(arr, None, root=dst), keep=(arr,))
    outs = _per_rank_list(gather_list, "gather_list", "gather", arr, size)
    recv = np.empty((size,) + arr.shape, dtype=arr.dtype)

    def scatter_back():
        for r, out in enumerate(outs):
            out[...] = recv[r]
    return _result(async_op, lambda: comm.Gather(arr, recv, root=dst),
                   lambda: comm.Igather(arr, recv, root=dst), scatter_back, (arr, recv))


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank r's ``tensor`` receives ``scatter_list[r]`` of rank ``src`` (None elsewhere)."""
    _check_group(group)
    comm = _comm("scatter")
    size, rank = comm.Get_size(), comm.Get_rank()
    src = _rank_arg(src, "src", "scatter", size)
    out = _array(tensor, "tensor", "scatter")
    if rank != src:
        if scatter_list:
            raise ValueError("scatter: scatter_list must be None on ranks other than src")
        send = None
    else:
        send = np.stack(_per_rank_list(scatter_list, "scatter_list", "scatter", out, size))
    return _result(async_op, lambda: comm.Scatter(send, out, root=src),
                   lambda: comm.Iscatter(send, out, root=src), keep=(send, out))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (p equal blocks along dim 0) over the ranks; rank r keeps block r."""
    _check_group(group)
    comm = _comm("reduce_scatter_tensor")
    MPI = _import_mpi()
    size = comm.Get_size()
    inp = _array(input, "input", "reduce_scatter_tensor", writable=False)
    out = _array(output, "output", "reduce_scatter_tensor")
    want = ((out.shape[0] * size,) + out.shape[1:]) if out.ndim else (size,)
    if inp.shape != want or inp.dtype != out.dtype:
        raise ValueError(f"reduce_scatter_tensor: input has shape {inp.shape} and dtype {inp.dtype}; "
                         f"expected {want} and {out.dtype} (world size x output)")
    mop = _mpi_op(MPI, op, out, "reduce_scatter_tensor")
    on_done = (lambda: np.divide(out, size, out=out)) if op is ReduceOp.AVG else None
    return _result(async_op, lambda: comm.Reduce_scatter_block(inp, out, mop),
                   lambda: comm.Ireduce_scatter_block(inp, out, mop), on_done, (inp, out))


# --- small Python objects (pickled: for metadata, never for arrays) -------------------
def all_gather_object(object_list, obj, group=None):
    """Fill ``object_list[r]`` with rank r's picklable ``obj``."""
    _check_group(group)
    comm = _comm("all_gather_object")
    if not isinstance(object_list, list) or len(object_list) != comm.Get_size():
        raise ValueError(f"all_gather_object: object_list must be a list of {comm.Get_size()} items")
    object_list[:] = comm.allgather(obj)


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Replace ``object_list``'s items on every rank with rank ``src``'s."""
    _check_group(group)
    comm = _comm("broadcast_object_list")
    src = _rank_arg(src, "src", "broadcast_object_list", comm.Get_size())
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got {type(object_list).__name__}")
    got = comm.bcast(list(object_list) if comm.Get_rank() == src else None, root=src)
    if len(got) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(got)} objects, this rank's "
                         f"list holds {len(object_list)}")
    object_list[:] = got
