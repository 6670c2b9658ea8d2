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


class CartPole:
    """A NumPy cart-pole balancing task with gymnasium's reset/step interface (the RL
    examples' ``gym.make('CartPole-v1')``): classic Barto-Sutton-Anderson dynamics, reward 1
    per step, ends when the pole passes 12 degrees, the cart leaves +-2.4 or after
    ``max_steps`` steps (truncation)."""

    reward_threshold = 475.0

    def __init__(self, max_steps=500):
        self.max_steps = max_steps
        self.rng = np.random.default_rng(0)
        self.state = None
        self.steps = 0

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.steps = 0
        return self.state.astype(np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        cos, sin = np.cos(theta), np.sin(theta)
        total_mass, pole_mass, half_len = 1.1, 0.1, 0.5
        temp = (force + pole_mass * half_len * theta_dot ** 2 * sin) / total_mass
        theta_acc = (9.8 * sin - cos * temp) / \
            (half_len * (4.0 / 3.0 - pole_mass * cos ** 2 / total_mass))
        x_acc = temp - pole_mass * half_len * theta_acc * cos / total_mass
        tau = 0.02
        self.state = np.array([x + tau * x_dot, x_dot + tau * x_acc,
                               theta + tau * theta_dot, theta_dot + tau * theta_acc])
        self.steps += 1
        terminated = bool(abs(self.state[0]) > 2.4 or abs(self.state[2]) > 12 * np.pi / 180)
        truncated = self.steps >= self.max_steps
        return self.state.astype(np.float32), 1.0, terminated, truncated, {}


def char_text(n_chars=6000, seed=0):
    """A character stream with structure (sentences built from a small grammar), the
    stand-in for the tiny-shakespeare download of the char-level GPT example."""
    rng = np.random.default_rng(seed)
    subjects = ["the cat", "a dog", "my friend", "the king", "our queen"]
    verbs = ["sees", "loves", "finds", "keeps", "fears"]
    objects = ["the moon.", "a red fox.", "the old tree.", "his crown.", "her ship."]
    out = []
    while sum(len(s) for s in out) < n_chars:
        out.append(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}\n")
    return "".join(out)[:n_chars]


def translation_pairs(n=600, vocab=12, min_len=3, max_len=7, seed=0):
    """(source, target) sentence pairs of word ids for a toy language pair: the target is
    the source with each word mapped to its 'translation' (a fixed permutation),
    lengths vary (so batches need padding). Ids 0-3 are left for <unk>, <pad>, <bos>, <eos>."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(vocab)
    pairs = []
    for _ in range(n):
        src = rng.integers(0, vocab, rng.integers(min_len, max_len + 1))
        pairs.append(([int(w) + 4 for w in src], [int(perm[w]) + 4 for w in src]))
    return pairs, vocab + 4


def cora_files(n_nodes=300, n_features=60, n_classes=4, seed=0):
    """The two Cora files as the GAT example reads them with np.genfromtxt: ``content``
    rows of [paper id, binary word features..., class name] (strings) and ``cites`` rows of
    [cited id, citing id]; topic-dependent words and mostly same-topic citations."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(100000, n_nodes, replace=False) + 1000
    y = rng.integers(0, n_classes, n_nodes)
    topic_words = rng.random((n_classes, n_features)) < 0.15
    p = np.where(topic_words[y], 0.3, 0.03)
    feats = (rng.random((n_nodes, n_features)) < p).astype(np.int64)
    names = np.array(["Neural_Networks", "Theory", "Genetic_Algorithms", "Rule_Learning"])[y]
    content = np.concatenate([ids[:, None].astype(str), feats.astype(str), names[:, None]], 1)
    edges = []
    for i in range(n_nodes):
        for _ in range(3):
            same = rng.random() < 0.85
            pool = np.flatnonzero((y == y[i]) == same)
            j = rng.choice(pool)
            if j != i:
                edges.append((ids[i], ids[j]))
    return content, np.unique(np.array(edges, np.int64), axis=0)


def ford_a(n_train=1500, n_test=300, length=96, seed=0):
    """A FordA-shaped univariate time-series classification set (the UCR download's
    stand-in): labels in {-1, 1}, class 1 carries a faint burst at a random place in noise.
    Returns x_train (n, length), y_train, x_test, y_test as float64 / int64."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.choice([-1, 1], n)
        t = np.arange(length)
        x = rng.standard_normal((n, length)) * 0.8
        for i in np.flatnonzero(y == 1):
            c = rng.integers(15, length - 15)
            x[i] += 2.5 * np.exp(-0.5 * ((t - c) / 3.0) ** 2) * np.sin(t * 0.9)
        x = (x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True)
        return x, y.astype(np.int64)

    x_train, y_train = make(n_train)
    x_test, y_test = make(n_test)
    return x_train, y_train, x_test, y_test
