"""Categorical: a choice among K classes along the last dimension of probs or logits."""
import fastnn

from .distribution import Distribution, shape_arg


class Categorical(Distribution):
    """``Categorical(probs=...)`` (non-negative, normalised along the last dim) or
    ``Categorical(logits=...)`` (unnormalised log-probabilities), exactly one of them."""

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: either `probs` or `logits` must be specified, "
                             "but not both")
        given = probs if probs is not None else logits
        if not isinstance(given, fastnn.Tensor):
            raise TypeError(f"Categorical: probs/logits must be a Tensor, got {type(given).__name__}")
        if given.dim() < 1:
            raise ValueError("Categorical: probs/logits must have at least one dimension")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._logits = None
        else:
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self._probs = None
        self._num_events = given.shape[-1]
        super().__init__(tuple(given.shape[:-1]), validate_args=validate_args)

    # probs and logits are each derived from the other on first use, as torch does
    @property
    def probs(self):
        if self._probs is None:
            self._probs = self.logits.softmax(-1)
        return self._probs

    @probs.setter
    def probs(self, value):
        self._probs = value

    @property
    def logits(self):
        if self._logits is None:
            eps = float(fastnn.finfo(self._probs.dtype).eps) if hasattr(fastnn, "finfo") \
                else 1.1920928955078125e-07
            self._logits = self._probs.clamp(eps, 1 - eps).log()
        return self._logits

    @logits.setter
    def logits(self, value):
        self._logits = value

    @property
    def param_shape(self):
        return fastnn.Size(tuple(self.batch_shape) + (self._num_events,))

    @property
    def mean(self):
        return fastnn.full(tuple(self.batch_shape), float("nan"), dtype=self.probs.dtype)

    @property
    def variance(self):
        return self.mean

    @property
    def mode(self):
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()):
        sample_shape = shape_arg(sample_shape)
        n = 1
        for s in sample_shape:
            n *= s
        with fastnn.no_grad():
            rows = self.probs.detach().reshape(-1, self._num_events)
            draws = fastnn.multinomial(rows, n, replacement=True)  # (rows, n)
            return draws.t().reshape(sample_shape + tuple(self.batch_shape))

    def log_prob(self, value):
        if not isinstance(value, fastnn.Tensor):
            value = fastnn.tensor(value)
        value = value.long()
        shape = tuple(fastnn.broadcast_shapes(tuple(value.shape), tuple(self.batch_shape))) \
            if hasattr(fastnn, "broadcast_shapes") else _broadcast(value.shape, self.batch_shape)
        logits = self.logits.expand(*shape, self._num_events)
        index = value.expand(*shape).unsqueeze(-1)
        if ((index < 0) | (index >= self._num_events)).any():
            raise ValueError(f"Categorical.log_prob: value must be in [0, {self._num_events}), "
                             f"got {value}")
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self):
        # logits of zero-probability classes are -inf (or the clamp's log eps): 0 * log 0 = 0
        logits = self.logits
        p_log_p = self.probs * logits
        p_log_p = fastnn.where(self.probs == 0, fastnn.zeros_like(p_log_p), p_log_p)
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand=True):
        values = fastnn.arange(self._num_events).reshape((-1,) + (1,) * len(self.batch_shape))
        if expand:
            values = values.expand(self._num_events, *self.batch_shape)
        return values

    def __repr__(self):
        return f"Categorical(probs: {tuple(self.probs.shape)})"


def _broadcast(a, b):
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"value shape {a} does not broadcast with batch_shape {b}")
        out.append(max(x, y))
    return tuple(out)
