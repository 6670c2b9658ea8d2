"""Local stand-ins for the datasets the example scripts would download.

Plain NumPy (no torch, no fastnn import in the scripts' namespace): the UCI digits
that ship inside fastnn (8x8 grey images, the scripts' MNIST) and small synthetic sets.
"""
import numpy as np


def digits(train=True, normalize=True):
    """(images float32 (N, 1, 8, 8) in [0, 1] (or standardised), labels int64 (N,))."""
    from fastnn.datasets import load_digits  # NumPy-only loader for the bundled file
    x, y = load_digits("train" if train else "test", normalize=False)
    x = np.asarray(x, dtype=np.float32)
    x = x / max(float(x.max()), 1.0)
    if normalize:
        x = (x - x.mean()) / x.std()
    return x, np.asarray(y, dtype=np.int64)


def sine_waves(n=40, length=200, period=20, seed=2):
    """Phase-shifted sine waves, as the time-sequence-prediction example generates them."""
    rng = np.random.RandomState(seed)
    t = np.arange(length) + rng.randint(-4 * period, 4 * period, n).reshape(n, 1)
    return np.sin(t / period).astype(np.float64)


def text_corpus(n_words=3000, vocab=40, seed=0):
    """A token stream with structure to learn (a noisy repeating grammar), as word ids."""
    rng = np.random.default_rng(seed)
    pattern = rng.integers(0, vocab, 23)
    ids = np.resize(pattern, n_words)
    noise = rng.random(n_words) < 0.1
    ids[noise] = rng.integers(0, vocab, noise.sum())
    return ids.astype(np.int64)


def imbalanced(n=4000, d=12, positive=0.04, seed=0):
    """A fraud-style table: few positives, shifted along a random direction."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive).astype(np.int64)
    x = rng.standard_normal((n, d)).astype(np.float32)
    direction = rng.standard_normal(d).astype(np.float32)
    x += np.outer(y * 1.6, direction / np.linalg.norm(direction)).astype(np.float32) * 2
    return x, y


def reviews(n=1500, length=40, vocab=500, seed=0):
    """Token-id 'reviews' whose label depends on a few sentiment words among noise words
    (a stand-in for the IMDB download): (ids int64 (n, length), labels int64 (n,))."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.integers(20, vocab, (n, length))
    good, bad = np.arange(2, 10), np.arange(10, 18)
    for i in range(n):
        k = rng.integers(2, 6)
        pos = rng.choice(length, k, replace=False)
        x[i, pos] = rng.choice(good if y[i] else bad, k)
    return x.astype(np.int64), y.astype(np.int64)
