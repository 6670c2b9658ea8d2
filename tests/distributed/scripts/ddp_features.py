"""Run under mpirun -n 2: no_sync accumulation, unused parameters, buffers, mismatched models."""
import numpy as np

import fastnn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
F = nn.functional
g = np.random.default_rng(1)
X = fastnn.tensor(g.standard_normal((2, 8, 6)).astype(np.float32))   # 2 micro-batches of 8
Y = fastnn.tensor(g.standard_normal((2, 8, 2)).astype(np.float32))
mine = slice(rank * 8 // size, (rank + 1) * 8 // size)


def grads(m):
    return [p.grad._data.copy() for p in m.parameters()]


# --- no_sync: local accumulation, then one synchronised backward averages the sums ---
fastnn.manual_seed(3)
net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))
model = DDP(net)
ref = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))
ref.load_state_dict(net.state_dict())
local = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))
local.load_state_dict(net.state_dict())

with model.no_sync():
    F.mse_loss(model(X[0][mine]), Y[0][mine]).backward()
F.mse_loss(local(X[0][mine]), Y[0][mine]).backward()
for a, b in zip(grads(net), grads(local)):
    np.testing.assert_array_equal(a, b)            # nothing was communicated
gathered = [fastnn.zeros(*net[0].weight.shape) for _ in range(size)]
dist.all_gather(gathered, fastnn.tensor(net[0].weight.grad._data))
assert not np.array_equal(gathered[0]._data, gathered[1]._data)  # ranks hold different sums

F.mse_loss(model(X[1][mine]), Y[1][mine]).backward()  # synchronised: averages both micro-steps
for k in range(2):
    F.mse_loss(ref(X[k]), Y[k]).backward()            # one process, whole micro-batches
for a, b in zip(grads(net), grads(ref)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
dist.all_gather(gathered, fastnn.tensor(net[0].weight.grad._data))
assert np.array_equal(gathered[0]._data, gathered[1]._data)
model.reducer.remove_hooks()


# --- parameters a forward does not use ------------------------------------------------
class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 2)
        self.b = nn.Linear(6, 2)      # used on rank 0 only
        self.never = nn.Linear(6, 2)  # used nowhere

    def forward(self, x, use_b):
        return self.a(x) + self.b(x) if use_b else self.a(x)


# one bucket, then one per parameter: rank 1 fills b's buckets before backward even
# starts, rank 0 during it; the buckets must still start in one order on both
for cap in (25, 1e-6):
    fastnn.manual_seed(4)
    net = Branchy()
    model = DDP(net, find_unused_parameters=True, bucket_cap_mb=cap)
    assert cap > 1 or len(model.reducer.buckets) == 6
    out = model(X[0][mine], use_b=(rank == 0))
    F.mse_loss(out, Y[0][mine]).backward()
    assert net.never.weight.grad is None            # unused on every rank: left alone
    assert net.b.weight.grad is not None            # rank 0's gradient, averaged with rank 1's zero
    bw = [fastnn.zeros(2, 6) for _ in range(size)]
    dist.all_gather(bw, fastnn.tensor(net.b.weight.grad._data))
    assert np.array_equal(bw[0]._data, bw[1]._data)
    probe = Branchy()
    probe.load_state_dict(net.state_dict())
    if rank == 0:
        F.mse_loss(probe(X[0][mine], True), Y[0][mine]).backward()
        np.testing.assert_allclose(net.b.weight.grad._data, probe.b.weight.grad._data / size, rtol=1e-6)
    model.reducer.remove_hooks()


# --- buckets follow the order gradients arrive in, after the first step ------------------
class Backwards(nn.Module):
    def __init__(self):
        super().__init__()
        self.last = nn.Linear(5, 2)     # registered first, used last
        self.first = nn.Linear(6, 5)

    def forward(self, x):
        return self.last(nn.functional.tanh(self.first(x)))


fastnn.manual_seed(6)
net = Backwards()
model = DDP(net, bucket_cap_mb=1e-6)   # one parameter per bucket
ref = Backwards()
ref.load_state_dict(net.state_dict())
assert model.reducer.buckets[0].params[0] is net.first.bias     # reverse registration order
for step in range(2):
    for m in (net, ref):
        m.zero_grad()
    F.mse_loss(model(X[step][mine]), Y[step][mine]).backward()
    F.mse_loss(ref(X[step]), Y[step]).backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad._data, q.grad._data, rtol=1e-5, atol=1e-7)
first_ready = model.reducer.buckets[0].params[0]
assert first_ready is net.last.weight or first_ready is net.last.bias, first_ready  # rebuilt
model.reducer.remove_hooks()

# without find_unused_parameters the next forward says what went wrong (on every rank)
model = DDP(Branchy())
F.mse_loss(model(X[0][mine], use_b=True), Y[0][mine]).backward()   # b used, 'never' unused
try:
    model(X[0][mine], use_b=True)
except RuntimeError as e:
    assert "find_unused_parameters=True" in str(e), e
else:
    raise AssertionError("an unfinished reduction must be reported")
model.reducer.remove_hooks()

# --- buffers follow rank 0 before each forward --------------------------------------
fastnn.manual_seed(5)
bn_net = nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4))
model = DDP(bn_net)
bn_net[1].running_mean._data[...] = rank + 1.0   # diverge, then forward (eval: no update)
bn_net[1].running_var._data[...] = rank + 3.0
bn_net[1].num_batches_tracked._data[...] = rank + 5
model.eval()
model(X[0][mine])
assert np.array_equal(bn_net[1].running_mean._data, np.ones(4, np.float32))  # rank 0's
assert np.array_equal(bn_net[1].running_var._data, np.full(4, 3.0, np.float32))
assert int(bn_net[1].num_batches_tracked._data) == 5
model.reducer.remove_hooks()

# --- every rank must build the same model --------------------------------------------
try:
    DDP(nn.Linear(6, 3 + rank))
except ValueError as e:
    assert "'weight'" in str(e) and "rank 1" in str(e), e
else:
    raise AssertionError("mismatched parameter shapes must be refused")
try:
    DDP(nn.Sequential(*[nn.Linear(6, 6) for _ in range(1 + rank)]))
except ValueError as e:
    assert "parameters" in str(e), e
else:
    raise AssertionError("a different parameter count must be refused")

print(f"rank {rank} ok", flush=True)
