"""Run under mpirun -n N: every collective against NumPy's answer computed from all ranks' inputs."""
import os

import numpy as np

import fastnn
import fastnn.distributed as dist

dist.init_process_group(backend="mpi")
assert dist.is_initialized() and dist.get_backend() == "mpi"
rank, size = dist.get_rank(), dist.get_world_size()
assert 0 <= rank < size


def inputs(r, dtype, shape=(3, 5)):
    """Rank r's input: different on every rank, reproducible by all of them."""
    g = np.random.default_rng(100 + r)
    if np.dtype(dtype).kind == "f":
        return g.standard_normal(shape).astype(dtype)
    return g.integers(-4, 5, shape).astype(dtype)


every = {dt: [inputs(r, dt) for r in range(size)] for dt in (np.float32, np.float64, np.int64, np.int32)}
expect = {dist.ReduceOp.SUM: lambda xs: np.sum(xs, axis=0),
          dist.ReduceOp.PRODUCT: lambda xs: np.prod(xs, axis=0),
          dist.ReduceOp.MIN: lambda xs: np.min(xs, axis=0),
          dist.ReduceOp.MAX: lambda xs: np.max(xs, axis=0),
          dist.ReduceOp.AVG: lambda xs: np.sum(xs, axis=0) / size}

# all_reduce, blocking and async, in place on the tensor's own memory
for dt, xs in every.items():
    for op, ref in expect.items():
        if op is dist.ReduceOp.AVG and np.dtype(dt).kind != "f":
            continue
        for async_op in (False, True):
            t = fastnn.tensor(xs[rank].copy())
            mem = t._data
            work = dist.all_reduce(t, op=op, async_op=async_op)
            if async_op:
                assert isinstance(work, dist.Work) and work.wait() is True and work.is_completed()
            else:
                assert work is None
            assert t._data is mem, "all_reduce must work in place"
            want = ref(np.stack(xs)).astype(dt)
            if np.dtype(dt).kind == "f":
                np.testing.assert_allclose(t._data, want, rtol=1e-6, atol=1e-6)
            else:
                np.testing.assert_array_equal(t._data, want)
for op in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
    xs = [np.array([r + 1, 3 * r + 5, 7], dtype=np.int64) for r in range(size)]
    t = fastnn.tensor(xs[rank].copy())
    dist.all_reduce(t, op=op)
    fn = {dist.ReduceOp.BAND: np.bitwise_and, dist.ReduceOp.BOR: np.bitwise_or,
          dist.ReduceOp.BXOR: np.bitwise_xor}[op]
    np.testing.assert_array_equal(t._data, fn.reduce(np.stack(xs), axis=0))

# an async collective keeps its tensor's memory alive until wait(), even if the caller dropped it
import gc  # noqa: E402
w = dist.all_reduce(fastnn.tensor(np.full(1 << 16, rank + 1.0)), async_op=True)
gc.collect()
junk = [np.full(1 << 16, -7.0) for _ in range(8)]  # would reuse freed memory
w.wait()
assert all((j == -7.0).all() for j in junk)
assert w._keep == () and w.is_completed()

# broadcast from the last rank
xs = every[np.float32]
for async_op in (False, True):
    t = fastnn.tensor(xs[rank].copy())
    w = dist.broadcast(t, src=size - 1, async_op=async_op)
    if async_op:
        w.wait()
    np.testing.assert_array_equal(t._data, xs[size - 1])

# reduce into the last rank; the others keep their input
for op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.AVG):
    t = fastnn.tensor(xs[rank].copy())
    dist.reduce(t, dst=size - 1, op=op)
    if rank == size - 1:
        np.testing.assert_allclose(t._data, expect[op](np.stack(xs)), rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(t._data, xs[rank])

# all_gather into the given tensors (kept, filled in place), blocking and async
for async_op in (False, True):
    outs = [fastnn.zeros(3, 5) for _ in range(size)]
    mems = [o._data for o in outs]
    w = dist.all_gather(outs, fastnn.tensor(xs[rank]), async_op=async_op)
    if async_op:
        w.wait()
    for r in range(size):
        assert outs[r]._data is mems[r]
        np.testing.assert_array_equal(outs[r]._data, xs[r])
big = fastnn.zeros(3 * size, 5)
dist.all_gather_into_tensor(big, fastnn.tensor(xs[rank]))
np.testing.assert_array_equal(big._data, np.concatenate(xs))

# gather into the last rank, scatter from it, reduce-scatter
for async_op in (False, True):
    dst = size - 1
    outs = [fastnn.zeros(3, 5) for _ in range(size)] if rank == dst else None
    w = dist.gather(fastnn.tensor(xs[rank]), outs, dst=dst, async_op=async_op)
    if async_op:
        w.wait()
    if rank == dst:
        for r in range(size):
            np.testing.assert_array_equal(outs[r]._data, xs[r])
    parts = [fastnn.tensor(np.full((2, 2), 10.0 * r + dst, dtype=np.float32)) for r in range(size)]
    got = fastnn.zeros(2, 2)
    w = dist.scatter(got, parts if rank == dst else None, src=dst, async_op=async_op)
    if async_op:
        w.wait()
    np.testing.assert_array_equal(got._data, np.full((2, 2), 10.0 * rank + dst))
for op in (dist.ReduceOp.SUM, dist.ReduceOp.MAX, dist.ReduceOp.AVG):
    block = fastnn.zeros(2, 5, dtype=fastnn.float64)
    full = np.stack([inputs(r, np.float64, (2 * size, 5)) for r in range(size)])
    dist.reduce_scatter_tensor(block, fastnn.tensor(full[rank]), op=op)
    np.testing.assert_allclose(block._data, expect[op](full)[2 * rank:2 * rank + 2], rtol=1e-12)

# point to point: a ring, blocking and not, and a receive from any rank
right, left = (rank + 1) % size, (rank - 1) % size
got = fastnn.zeros(3, 5)
if rank % 2 == 0:
    dist.send(fastnn.tensor(xs[rank]), dst=right)
    sender = dist.recv(got, src=left)
else:
    sender = dist.recv(got, src=left)
    dist.send(fastnn.tensor(xs[rank]), dst=right)
assert sender == left
np.testing.assert_array_equal(got._data, xs[left])
rw = dist.irecv(got, src=None, tag=7)
sw = dist.isend(fastnn.tensor(xs[rank] * 2), dst=right, tag=7)
sw.wait()
rw.wait()
np.testing.assert_array_equal(got._data, xs[left] * 2)
if rank == 0:
    for r in range(1, size):
        assert dist.recv(fastnn.zeros(1), tag=3) in range(1, size)
else:
    dist.send(fastnn.ones(1), dst=0, tag=3)

# Python objects
objs = [None] * size
dist.all_gather_object(objs, {"rank": rank})
assert objs == [{"rank": r} for r in range(size)]
lst = [rank, "x"] if rank == 0 else [None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == [0, "x"]

# argument errors are raised on the calling rank before any communication
for call, exc in [(lambda: dist.all_reduce(fastnn.zeros(4, 4).t()), ValueError),
                  (lambda: dist.all_reduce(fastnn.zeros(3, dtype=fastnn.float16)), TypeError),
                  (lambda: dist.all_reduce(np.zeros(3)), TypeError),
                  (lambda: dist.all_reduce(fastnn.zeros(3), op="sum"), TypeError),
                  (lambda: dist.all_reduce(fastnn.zeros(3, dtype=fastnn.int64), op=dist.ReduceOp.AVG), TypeError),
                  (lambda: dist.broadcast(fastnn.zeros(3), src=size), ValueError),
                  (lambda: dist.reduce(fastnn.zeros(3), dst=-1), ValueError),
                  (lambda: dist.all_gather([fastnn.zeros(3)] * (size + 1), fastnn.zeros(3)), ValueError),
                  (lambda: dist.all_gather([fastnn.zeros(4)] * size, fastnn.zeros(3)), ValueError),
                  (lambda: dist.all_reduce(fastnn.zeros(3), group="other"), ValueError),
                  (lambda: dist.send(fastnn.zeros(3), dst=rank), ValueError),
                  (lambda: dist.send(fastnn.zeros(3), dst=size), ValueError),
                  (lambda: dist.recv(fastnn.zeros(3), src=0, tag=-1), ValueError),
                  (lambda: dist.scatter(fastnn.zeros(2), [fastnn.zeros(3)] * size, src=rank), ValueError),
                  (lambda: dist.gather(fastnn.zeros(2), [fastnn.zeros(2)], dst=rank), ValueError),
                  (lambda: dist.reduce_scatter_tensor(fastnn.zeros(2), fastnn.zeros(2)), ValueError)]:
    try:
        call()
    except exc:
        pass
    else:
        raise AssertionError(f"expected {exc.__name__}")

try:
    dist.init_process_group("mpi")
except RuntimeError as e:
    assert "twice" in str(e)
else:
    raise AssertionError("a second init_process_group must fail")

# ranks sharing this node do not start more threads than it has cores
# (the launcher set no OMP_NUM_THREADS for this run when called with "threads")
if os.environ.get("EXPECT_THREADS") == "shared":
    assert fastnn.get_num_threads() * size <= max(os.cpu_count() or 1, size), fastnn.get_num_threads()
dist.barrier()
w = dist.barrier(async_op=True)
w.wait()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank} ok", flush=True)
