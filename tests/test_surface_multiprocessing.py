"""Shared-memory tensors and fastnn.multiprocessing: share_memory_() / Module.share_memory()
put the data in a shared mapping that a spawned process updates in place (Hogwild), results
of operations stay private, pickling a non-shared array copies it, and the sharing-strategy
calls behave as torch.multiprocessing's."""
import pickle

import numpy as np
import pytest

import fastnn
import fastnn.multiprocessing as mp
from fastnn._shared_memory import SharedArray


def _sgd_worker(model, steps):
    opt = fastnn.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        model(fastnn.ones(1, 3)).sum().backward()
        opt.step()


def _fill_worker(rank, t):
    t[rank] = float(rank + 1)  # an in-place write through indexing


def test_module_share_memory_hogwild_updates_seen_by_parent():
    ctx = mp.get_context("spawn")
    model = fastnn.nn.Linear(3, 1)
    assert not model.weight.is_shared()
    assert model.share_memory() is model
    assert model.weight.is_shared() and model.bias.is_shared()
    w0, b0 = model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()
    procs = [ctx.Process(target=_sgd_worker, args=(model, 3)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs)
    # d(sum(w.x + b))/dw = x = 1, /db = 1: six SGD steps of 0.1 in all
    np.testing.assert_allclose(model.weight.detach().numpy(), w0 - 0.6, rtol=1e-6)
    np.testing.assert_allclose(model.bias.detach().numpy(), b0 - 0.6, rtol=1e-6)


def test_spawn_helper_and_indexed_writes():
    t = fastnn.zeros(3).share_memory_()
    mp.spawn(_fill_worker, args=(t,), nprocs=3)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])


def test_results_are_private_and_pickles_of_copies_are_plain():
    t = fastnn.arange(6, dtype=fastnn.float32).reshape(2, 3).share_memory_()
    assert t.share_memory_() is t and t.is_shared()
    y = t * 2 + 1
    assert type(y._data) is np.ndarray and not y.is_shared()
    row = t[1]  # a view into the shared mapping pickles by reference
    again = pickle.loads(pickle.dumps(row))
    assert again.is_shared()
    again.add_(10)
    np.testing.assert_array_equal(t.numpy()[1], [13.0, 14.0, 15.0])
    copy = t._data.copy()
    assert isinstance(copy, SharedArray)
    back = pickle.loads(pickle.dumps(copy))
    assert type(back) is np.ndarray
    np.testing.assert_array_equal(back, t.numpy())


def test_sharing_strategies():
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    before = mp.get_sharing_strategy()
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy(before)
    with pytest.raises(ValueError, match="set_sharing_strategy"):
        mp.set_sharing_strategy("nope")
    assert mp.Process is not None and callable(mp.get_context)
