"""Bernoulli(probs=... | logits=...): a 0/1 draw per element."""
import fastnn

from .distribution import Distribution, as_tensor


class Bernoulli(Distribution):
    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli: either `probs` or `logits` must be specified, "
                             "but not both")
        if probs is not None:
            self.probs = as_tensor(probs)
            self.logits = (self.probs.clamp(1.1920928955078125e-07, 1 - 1.1920928955078125e-07)
                           .log() - (1 - self.probs).clamp(1.1920928955078125e-07, 1).log())
            shape = self.probs.shape
        else:
            self.logits = as_tensor(logits)
            self.probs = self.logits.sigmoid()
            shape = self.logits.shape
        super().__init__(tuple(shape), validate_args=validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        with fastnn.no_grad():
            p = self.probs.detach().expand(*self._extended_shape(sample_shape))
            return fastnn.bernoulli(p.contiguous() if hasattr(p, "contiguous") else p)

    def log_prob(self, value):
        # -BCE with logits, in its stable form: v*l - softplus(l)
        value = as_tensor(value, self.logits)
        l = self.logits
        softplus = l.clamp(min=0) + (-(l.abs())).exp().log1p()
        return value * l - softplus

    def entropy(self):
        l = self.logits
        softplus = l.clamp(min=0) + (-(l.abs())).exp().log1p()
        return softplus - self.probs * l

    def __repr__(self):
        return f"Bernoulli(probs: {tuple(self.probs.shape)})"
