"""fastnn's global random number generator (``fastnn.manual_seed``).

One generator for the process, as PyTorch's default CPU generator: seeding it in
one thread seeds it for all. Draws from several threads at once are safe (NumPy's
Generator holds its bit generator's lock during each draw) but their order, and
so each thread's numbers, depends on scheduling, as in PyTorch; a thread that
needs its own reproducible stream passes ``generator=np.random.default_rng(s)``.
"""
import os
import threading

import numpy as np

# Created on first use: building a Generator imports numpy.random and reads OS
# entropy, which would add ~10 ms to ``import fastnn``.
_generator = None
# Guards the replacement of _generator: without it, a first use racing with
# manual_seed in another thread could install an unseeded generator after the
# seeded one.
_lock = threading.Lock()


def manual_seed(seed):
    """Seed the generator behind randn/rand/init/dropout/DataLoader shuffling."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    g = np.random.default_rng(int(seed))
    with _lock:
        _generator = g
    return g


def seed():
    """Reseed from OS entropy; returns the seed used (an int), as ``torch.seed()``."""
    s = int.from_bytes(os.urandom(8), "little")
    manual_seed(s)
    return s


def default_generator():
    global _generator
    g = _generator
    if g is None:
        with _lock:
            if _generator is None:
                _generator = np.random.default_rng()
            g = _generator
    return g
