"""The Distribution base: batch/event shapes and the sample_shape handling shared by all."""
import numbers

from .. import tensor as _tensor_mod


def as_tensor(value, like=None):
    """A float tensor for a parameter given as a number or a tensor (kept as is)."""
    import fastnn
    if isinstance(value, fastnn.Tensor):
        return value
    if isinstance(value, numbers.Number):
        dtype = like.dtype if like is not None else fastnn.get_default_dtype()
        return fastnn.tensor(float(value), dtype=dtype)
    raise TypeError(f"distribution parameters must be Tensors or numbers, got {type(value).__name__}")


def shape_arg(sample_shape):
    if isinstance(sample_shape, numbers.Integral):
        return (int(sample_shape),)
    try:
        return tuple(int(s) for s in sample_shape)
    except TypeError:
        raise TypeError(f"sample_shape must be a tuple of ints or torch.Size, got "
                        f"{type(sample_shape).__name__}") from None


class Distribution:
    """``batch_shape`` (independent draws) and ``event_shape`` (one draw's shape), as torch."""

    has_rsample = False

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        import fastnn
        self._batch_shape = fastnn.Size(batch_shape)
        self._event_shape = fastnn.Size(event_shape)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        import fastnn
        return fastnn.Size(shape_arg(sample_shape) + tuple(self._batch_shape)
                           + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        raise NotImplementedError

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler "
                                  f"(rsample); use sample()")

    def log_prob(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def __repr__(self):
        return f"{type(self).__name__}()"


del _tensor_mod
