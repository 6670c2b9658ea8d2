"""fastnn's global random number generator (``fastnn.manual_seed``).

One generator for the process, as PyTorch's default CPU generator: seeding it in
one thread seeds it for all. Draws from several threads at once are safe (NumPy's
Generator holds its bit generator's lock during each draw) but their order, and
so each thread's numbers, depends on scheduling, as in PyTorch; a thread that
needs its own reproducible stream passes ``generator=np.random.default_rng(s)``.
"""
import json
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


_initial_seed = None  # what initial_seed() answers: the last seed set, or drawn


def _check_seed(seed, what):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{what}: seed must be an int, got {type(seed).__name__}")
    return int(seed)


def manual_seed(seed):
    """Seed the generator behind randn/rand/init/dropout/DataLoader shuffling."""
    global _generator, _initial_seed
    seed = _check_seed(seed, "manual_seed")
    g = Generator().manual_seed(seed)
    with _lock:
        _generator = g
        _initial_seed = seed
    return g


def seed():
    """Reseed from OS entropy; returns the seed used (an int), as ``torch.seed()``."""
    s = int.from_bytes(os.urandom(8), "little")
    manual_seed(s)
    return s


def default_generator():
    global _generator, _initial_seed
    g = _generator
    if g is None:
        with _lock:
            if _generator is None:
                s = int.from_bytes(os.urandom(8), "little")
                _generator = Generator().manual_seed(s)
                _initial_seed = s
            g = _generator
    return g


def initial_seed():
    """The seed of the default generator (set by manual_seed, or drawn at first use)."""
    default_generator()
    return _initial_seed


def get_rng_state():
    """The default generator's state as a uint8 Tensor (for set_rng_state; savable)."""
    return default_generator().get_state()


def set_rng_state(new_state):
    """Restore a state from get_rng_state()."""
    default_generator().set_state(new_state)


class Generator(np.random.Generator):
    """torch.Generator: a NumPy Generator (PCG64) that fastnn's ``generator=`` arguments
    take as they take any ``numpy.random.Generator``, with PyTorch's methods.

    ``fastnn.Generator().manual_seed(s)`` draws the same numbers as the default
    generator after ``fastnn.manual_seed(s)``.
    """

    def __init__(self, device="cpu"):
        if str(device) not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
            raise RuntimeError(f"Generator: device must be 'cpu' or 'cuda', got {device!r}")
        super().__init__(np.random.PCG64())
        self.device = device
        self._seed = None

    def manual_seed(self, seed):
        seed = _check_seed(seed, "Generator.manual_seed")
        self.bit_generator.state = np.random.PCG64(seed & ((1 << 128) - 1)).state
        self._seed = seed
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        if self._seed is None:
            self.seed()
        return self._seed

    def get_state(self):
        from ._tensor import Tensor
        raw = json.dumps(self.bit_generator.state).encode("ascii")
        return Tensor._wrap(np.frombuffer(raw, np.uint8).copy())

    def set_state(self, new_state):
        data = new_state._data if hasattr(new_state, "_data") else np.asarray(new_state)
        try:
            state = json.loads(np.asarray(data, np.uint8).tobytes().decode("ascii"))
            self.bit_generator.state = state
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"set_state: not a state from get_state()/get_rng_state() ({exc})") \
                from None
        return self
