"""fastnn's global random number generator (``fastnn.manual_seed``)."""
import numpy as np

_generator = np.random.default_rng()


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
    _generator = np.random.default_rng()


def default_generator():
    return _generator
