"""Run as plain ``python`` (no launcher): MPI starts a world of one, and everything still works."""
import numpy as np

import fastnn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

try:
    DDP(nn.Linear(2, 2))
except RuntimeError as e:
    assert "init_process_group" in str(e)
else:
    raise AssertionError("DDP needs a process group")

for kw, exc in [({"world_size": 2}, ValueError), ({"rank": 1}, ValueError)]:
    try:
        dist.init_process_group("mpi", **kw)
    except exc as e:
        assert "MPI" in str(e), e
    else:
        raise AssertionError(kw)
    assert not dist.is_initialized()

dist.init_process_group(backend=None, world_size=1, rank=0)
assert (dist.get_rank(), dist.get_world_size()) == (0, 1)

x = np.arange(6, dtype=np.float32).reshape(2, 3)
for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.PRODUCT):
    t = fastnn.tensor(x.copy())
    dist.all_reduce(t, op=op)
    np.testing.assert_array_equal(t._data, x)
out = [fastnn.zeros(2, 3)]
dist.all_gather(out, fastnn.tensor(x))
np.testing.assert_array_equal(out[0]._data, x)

fastnn.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
for kw in ({"device_ids": [0]}, {"bucket_cap_mb": 0}, {"bucket_cap_mb": "25"}, {"dim": 1}):
    try:
        DDP(net, **kw)
    except ValueError:
        pass
    else:
        raise AssertionError(kw)
try:
    DDP(net, process_group="mine")
except ValueError:
    pass
else:
    raise AssertionError("only the default group")
try:
    DDP(nn.ReLU())
except RuntimeError as e:
    assert "parameter" in str(e)
else:
    raise AssertionError("a module without parameters")
model = DDP(net)
assert list(model.state_dict()) == ["module." + k for k in net.state_dict()]
model.load_state_dict(model.state_dict())
assert model.module is net and list(model.parameters()) == list(net.parameters())

ref = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
ref.load_state_dict(net.state_dict())
xb = fastnn.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
model(xb).sum().backward()
ref(xb).sum().backward()
for p, q in zip(net.parameters(), ref.parameters()):
    np.testing.assert_array_equal(p.grad._data, q.grad._data)
assert model.communication_stats["bytes"] == sum(p._data.nbytes for p in net.parameters())
with fastnn.no_grad():
    model(xb)                       # evaluation forwards do not wait for a backward
model(xb)

dist.destroy_process_group()
assert not dist.is_initialized()
dist.init_process_group("mpi")     # MPI stays up: a new group can start
assert dist.get_world_size() == 1
dist.destroy_process_group()
print("rank 0 ok", flush=True)
