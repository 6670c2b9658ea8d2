"""fastnn.multiprocessing: Python's multiprocessing under torch.multiprocessing's name,
plus its sharing-strategy calls and ``spawn``. Tensors moved to shared memory
(``share_memory_()`` / ``Module.share_memory()``) pass to child processes by reference, so
Hogwild training works. Other tensors are copied when sent to a child (PyTorch would move
them to shared memory first); call share_memory_() on those that must stay shared."""
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

_STRATEGIES = ("file_descriptor", "file_system")
_strategy = ["file_descriptor"]


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _strategy[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"set_sharing_strategy: expected one of {_STRATEGIES}, got {new_strategy!r}")
    _strategy[0] = new_strategy


class ProcessRaisedException(Exception):
    pass


def _wrap(fn, i, args):
    fn(i, *args)


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` in ``nprocs`` processes; with join, wait and raise if any failed."""
    ctx = _mp.get_context(start_method)
    procs = [ctx.Process(target=_wrap, args=(fn, i, args), daemon=daemon) for i in range(nprocs)]
    for p in procs:
        p.start()
    if not join:
        return procs
    for p in procs:
        p.join()
    bad = [(i, p.exitcode) for i, p in enumerate(procs) if p.exitcode != 0]
    if bad:
        raise ProcessRaisedException(f"process {bad[0][0]} terminated with exit code {bad[0][1]}")
    return None


__all__ = [n for n in dir(_mp) if not n.startswith("_")] + [
    "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy", "spawn",
    "ProcessRaisedException"]
