"""DistributedSampler: PyTorch's lengths, padding, partition and determinism (no MPI needed)."""
import pytest

from fastnn.utils.data import DataLoader, TensorDataset
from fastnn.utils.data.distributed import DistributedSampler

CASES = [(n, r, drop) for n in (0, 1, 3, 10, 11, 12, 17) for r in (1, 2, 3, 4, 5)
         for drop in (False, True)]


def shares(n, replicas, **kw):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=k, **kw))
            for k in range(replicas)]


def expected(order, replicas, drop_last):
    """PyTorch's rule written out: pad by repeating from the start, or cut; then stride."""
    n = len(order)
    if drop_last and n % replicas:
        per = -(-(n - replicas) // replicas)
    else:
        per = -(-n // replicas)
    total = per * replicas
    if drop_last:
        full = order[:total]
    else:
        full = list(order)
        while len(full) < total:
            full += order[:total - len(full)]
    return [full[k:total:replicas] for k in range(replicas)]


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_unshuffled_matches_the_rule(n, replicas, drop_last):
    got = shares(n, replicas, shuffle=False, drop_last=drop_last)
    assert got == expected(list(range(n)), replicas, drop_last)
    assert len({len(s) for s in got}) <= 1
    assert all(len(s) == len(DistributedSampler(range(n), replicas, 0, drop_last=drop_last)) for s in got)


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_unshuffled_matches_torch(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for k in range(replicas):
        theirs = TorchSampler(range(n), num_replicas=replicas, rank=k, shuffle=False, drop_last=drop_last)
        mine = DistributedSampler(range(n), num_replicas=replicas, rank=k, shuffle=False,
                                  drop_last=drop_last)
        assert list(mine) == list(theirs) and len(mine) == len(theirs)
    del torch


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_shuffled_partition_and_padding(n, replicas, drop_last):
    got = shares(n, replicas, shuffle=True, seed=7, drop_last=drop_last)
    # the shares interleave one permutation of range(n), padded or cut as PyTorch does
    total = sum(len(s) for s in got)
    interleaved = [got[k][i] for i in range(total // replicas) for k in range(replicas)] if total else []
    perm = interleaved[:n] if not drop_last else None
    if not drop_last:
        assert sorted(perm) == list(range(n))
        assert got == expected(perm, replicas, drop_last)
    else:
        assert len(set(interleaved)) == len(interleaved)  # disjoint, nothing repeated
        assert total == (n // replicas) * replicas
    # lengths agree with PyTorch's for the same arguments
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for k in range(replicas):
        assert len(got[k]) == len(TorchSampler(range(n), replicas, k, shuffle=True, drop_last=drop_last))
    del torch


def test_seed_and_epoch_decide_the_order():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=3)
    b = DistributedSampler(range(50), num_replicas=2, rank=0, seed=3)
    assert list(a) == list(b)                      # every rank computes the same permutation
    first = list(a)
    assert list(a) == first                        # same epoch: same order
    a.set_epoch(1)
    other = DistributedSampler(range(50), num_replicas=2, rank=1, seed=3)
    other.set_epoch(1)
    assert list(a) != first and sorted(list(a) + list(other)) == list(range(50))
    c = DistributedSampler(range(50), num_replicas=2, rank=0, seed=4)
    assert list(c) != first
    # epoch e with seed s is the permutation of seed s+e, like PyTorch's Generator seeding
    d = DistributedSampler(range(50), num_replicas=2, rank=0, seed=4)
    a.set_epoch(1)
    assert list(a) == list(d)


def test_with_dataloader():
    import fastnn
    ds = TensorDataset(fastnn.arange(10))
    seen = []
    for k in range(3):
        loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 3, k, shuffle=False))
        seen.append([int(v) for (b,) in loader for v in b.tolist()])
    assert seen == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)
    with pytest.raises(TypeError, match="epoch"):
        DistributedSampler(range(4), 2, 0).set_epoch("1")


def test_needs_a_group_or_explicit_arguments():
    import fastnn.distributed as dist
    if dist.is_initialized():
        pytest.skip("a process group is up in this process")
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))
