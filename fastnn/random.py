"""fastnn's global random number generator (``fastnn.manual_seed``)."""
import numpy as np

# Created on first use: building a Generator imports numpy.random and reads OS
# entropy, which would add ~10 ms to ``import fastnn``.
_generator = None


def manual_seed(seed):
    """Seed the generator behind randn/rand/init/dropout/DataLoader shuffling."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def seed():
    """Reseed from OS entropy."""
    global _generator
    # Created on first use: building a Generator imports numpy.random and reads OS
# entropy, which would add ~10 ms to ``import fastnn``.
_generator = None


def default_generator():
    global _generator
    if _generator is None:
        _generator = np.random.default_rng()
    return _generator
