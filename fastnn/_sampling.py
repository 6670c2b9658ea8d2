"""fastnn.multinomial and fastnn.bernoulli: draws from the default generator (or ``generator=``)."""
import numbers

import numpy as np

from .random import default_generator


def _host(t, what):
    from ._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: input must be a Tensor, got {type(t).__name__}")
    from ._device_move import to_numpy
    return to_numpy(t._data)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn with probabilities proportional to the rows of ``input`` (1-D or 2-D),
    as torch.multinomial; without replacement each row's indices are distinct."""
    from ._tensor import Tensor
    w = _host(input, "multinomial").astype(np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {w.ndim}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) \
            or num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    rows = w.reshape(-1, w.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    sums = rows.sum(axis=1)
    if (sums <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities "
                           "<= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           "without replacement")
    g = generator or default_generator()
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for r, (p, s) in enumerate(zip(rows, sums)):
        p = p / s
        if not replacement and num_samples > np.count_nonzero(p):
            raise RuntimeError("multinomial: not enough categories with non-zero probability "
                               "to sample without replacement")
        out[r] = g.choice(p.shape[0], size=num_samples, replace=replacement, p=p)
    out = out.reshape(w.shape[:-1] + (num_samples,))
    t = Tensor._wrap(out)
    return t if isinstance(input._data, np.ndarray) else t.to(input.device)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``) elementwise, else 0, in ``input``'s dtype."""
    from ._tensor import Tensor
    probs = _host(input, "bernoulli")
    if p is not None:
        probs = np.full(probs.shape, float(p))
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("bernoulli: all elements of the probability input must be in [0, 1]")
    g = generator or default_generator()
    out = (g.random(probs.shape) < probs).astype(input.dtype if input.dtype.kind == "f"
                                                  else np.float32)
    t = Tensor._wrap(out)
    return t if isinstance(input._data, np.ndarray) else t.to(input.device)
