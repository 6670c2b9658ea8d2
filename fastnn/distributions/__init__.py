"""fastnn.distributions: the probability distributions example scripts reach for first
(``Categorical`` for policy-gradient RL, ``Normal`` for continuous actions and VAEs),
with torch.distributions' names, shapes and formulas. ``log_prob``, ``entropy`` and
``rsample`` are built from differentiable tensor ops, so gradients flow to the parameters;
``sample`` draws from fastnn's default generator (``manual_seed`` applies) without gradient."""
from .distribution import Distribution  # noqa: F401
from .categorical import Categorical  # noqa: F401
from .normal import Normal  # noqa: F401
from .bernoulli import Bernoulli  # noqa: F401

__all__ = ["Distribution", "Categorical", "Normal", "Bernoulli"]
