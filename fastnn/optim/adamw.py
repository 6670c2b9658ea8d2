"""AdamW: Adam with decoupled weight decay, p = p * (1 - lr * weight_decay) before the Adam step
(Loshchilov & Hutter); the update itself is Adam's (adam.py)."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
