"""Normal(loc, scale): the Gaussian, with a reparameterized sampler (rsample)."""
import math

import fastnn

from .distribution import Distribution, as_tensor, shape_arg


class Normal(Distribution):
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        like = loc if isinstance(loc, fastnn.Tensor) else scale if isinstance(scale, fastnn.Tensor) \
            else None
        loc, scale = as_tensor(loc, like), as_tensor(scale, like)
        if validate_args is not False and bool((scale.detach() <= 0).any()):
            raise ValueError("Normal: scale must be positive")
        shape = tuple(fastnn.broadcast_tensors(loc, scale)[0].shape) \
            if hasattr(fastnn, "broadcast_tensors") else _bshape(loc.shape, scale.shape)
        self.loc = loc.expand(*shape) if tuple(loc.shape) != shape else loc
        self.scale = scale.expand(*shape) if tuple(scale.shape) != shape else scale
        super().__init__(shape, validate_args=validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def rsample(self, sample_shape=()):
        eps = fastnn.randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def sample(self, sample_shape=()):
        with fastnn.no_grad():
            return self.rsample(sample_shape).detach()

    def log_prob(self, value):
        value = as_tensor(value, self.loc)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() \
            - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value):
        value = as_tensor(value, self.loc)
        z = (value - self.loc) / (self.scale * math.sqrt(2))
        return 0.5 * (1 + z.erf()) if hasattr(z, "erf") else _no_erf()

    def __repr__(self):
        return f"Normal(loc: {tuple(self.loc.shape)}, scale: {tuple(self.scale.shape)})"


def _no_erf():
    raise NotImplementedError("Normal.cdf needs Tensor.erf")


def _bshape(a, b):
    from .categorical import _broadcast
    return _broadcast(a, b)


del shape_arg
