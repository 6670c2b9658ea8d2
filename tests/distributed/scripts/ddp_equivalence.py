"""Run under mpirun -n 2: DDP on half a global batch per rank == one process on all of it.

Every rank also trains a plain copy of the model on the whole global batch (the
single-process reference). After several Adam steps the DDP replicas must
match it (<= 2e-5) and match each other exactly; with a tiny bucket cap the
gradients travel in several buckets, with the default in one.
"""
import sys

import numpy as np

import fastnn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
dtype = np.dtype(sys.argv[1]) if len(sys.argv) > 1 else np.dtype(np.float32)
tol = 2e-5 if dtype == np.float32 else 1e-12


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.fc1 = nn.Linear(3 * 16, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        h = nn.functional.relu(self.conv(x)).reshape(x.shape[0], -1)
        h = nn.functional.tanh(self.fc1(h))
        return self.fc2(h) + self.fc2.bias  # bias used twice: two gradient contributions


def build(seed):
    fastnn.manual_seed(seed)
    return Net().to(dtype=dtype)


def params_of(m):
    return [p._data.copy() for p in m.parameters()]


g = np.random.default_rng(0)
B = 16                                    # global batch, B // size per rank
X = g.standard_normal((5, B, 1, 4, 4)).astype(dtype)
Y = g.integers(0, 4, (5, B))
shard = slice(rank * B // size, (rank + 1) * B // size)

for cap in (25, 0.0008):                  # one bucket; several (0.0008 MB ~ 840 bytes)
    net = build(seed=10 + rank)           # different on every rank before DDP
    # When the first layer's gradient arrives (it comes last in backward), the
    # later layers' buckets must already be on their way: communication overlaps.
    in_flight = []
    net.conv.weight.register_post_accumulate_grad_hook(
        lambda p: in_flight.append(len(model.reducer.launched)))
    model = DDP(net, bucket_cap_mb=cap)
    assert model.module is net
    if cap < 1:
        assert len(model.reducer.buckets) >= 3, len(model.reducer.buckets)
    ref = build(seed=999)
    ref.load_state_dict({k[len("module."):]: v for k, v in model.state_dict().items()})
    assert all(k.startswith("module.") for k in model.state_dict())

    start = params_of(net)
    opt = fastnn.optim.Adam(model.parameters(), lr=0.01)
    ref_opt = fastnn.optim.Adam(ref.parameters(), lr=0.01)
    for step in range(5):
        x, y = fastnn.tensor(X[step]), fastnn.tensor(Y[step])
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x[shard]), y[shard])
        loss.backward()
        ref_opt.zero_grad()
        nn.functional.cross_entropy(ref(x), y).backward()
        if step == 0:  # the averaged gradient is the global batch's gradient
            for p, q in zip(model.parameters(), ref.parameters()):
                np.testing.assert_allclose(p.grad._data, q.grad._data, rtol=0, atol=tol / 10)
        if cap < 1:
            assert 1 <= in_flight[-1] < len(model.reducer.buckets), in_flight
        opt.step()
        ref_opt.step()
        stats = model.communication_stats
        assert stats["bytes"] == sum(p._data.nbytes for p in net.parameters()), stats

    mine = params_of(net)
    for a, b in zip(mine, params_of(ref)):
        assert np.max(np.abs(a - b)) <= tol, np.max(np.abs(a - b))
    assert all(np.max(np.abs(a - b)) > 1e-3 for a, b in zip(mine, start))  # it did train
    flat = fastnn.tensor(np.concatenate([a.ravel() for a in mine]))
    everyone = [fastnn.zeros_like(flat) for _ in range(size)]
    dist.all_gather(everyone, flat)
    for r in range(1, size):
        assert np.array_equal(everyone[r]._data, everyone[0]._data), "ranks disagree"
    model.reducer.remove_hooks()

print(f"rank {rank} ok", flush=True)
