"""Dropout: zero each element with probability p in training mode, scale by 1/(1-p);
Dropout1d/2d/3d zero whole channels instead (F.dropout1d/2d/3d)."""
from .module import Module
from ._utils import F


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Dropout):
    _fn = None

    def forward(self, input):
        return getattr(F, self._fn)(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Channel dropout over (N, C, L) or (C, L)."""
    _fn = "dropout1d"


class Dropout2d(_DropoutNd):
    """Channel dropout over (N, C, H, W)."""
    _fn = "dropout2d"


class Dropout3d(_DropoutNd):
    """Channel dropout over (N, C, D, H, W) or (C, D, H, W)."""
    _fn = "dropout3d"


__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]
