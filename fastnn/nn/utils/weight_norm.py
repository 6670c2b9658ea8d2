"""Weight normalisation (Salimans & Kingma, 2016): w = g * v / ||v||, the norm taken
over every dim but ``dim`` (dim=None: over the whole tensor).

Two APIs, as PyTorch: the current nn.utils.parametrizations.weight_norm (a
parametrization: parametrizations.weight.original0 = g, original1 = v) and the
older nn.utils.weight_norm / remove_weight_norm (parameters weight_g and weight_v,
and a forward pre-hook that recomputes module.weight before each call).
"""
from __future__ import annotations

from typing import Any

from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v: Any, pow: float = 2, dim: int = 0) -> Any:
    """Return the ``pow``-norm of ``v`` over every dimension but ``dim``.

    The result keeps the reduced dimensions (size 1), so it broadcasts against
    ``v``; ``dim=-1`` takes the norm of the whole tensor.

    Args:
        v (Tensor): the tensor.
        pow (float): the p of the p-norm. Default: 2
        dim (int): the dimension to keep. Default: 0

    Example::

        >>> from fastnn.nn.utils.weight_norm import norm_except_dim
        >>> norm_except_dim(fastnn.tensor([[3.0, 4.0], [0.0, 1.0]]))
        tensor([[5.],
                [1.]])
    """
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != dim)
    return (v.abs() ** pow).sum(dim=axes, keepdim=True) ** (1.0 / pow) if pow != 2 else \
        (v * v).sum(dim=axes, keepdim=True).sqrt()


def _weight_norm(v, g, dim):
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    """The parametrization: forward(g, v) = g * v / ||v||; right_inverse(w) = (||w||, w)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def parametrized_weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Apply weight normalisation to ``module.<name>`` as a parametrization.

    ``w = g * v / ||v||``, the norm over every dimension but ``dim``: the
    direction ``v`` and the magnitude ``g`` are learnt separately (Salimans &
    Kingma, 2016). This is ``nn.utils.parametrizations.weight_norm``; g and v are
    stored as ``parametrizations.<name>.original0`` and ``original1``.

    Args:
        module (Module): the module to change.
        name (str): the parameter to normalise. Default: ``'weight'``
        dim (int, optional): the dimension kept by the norm; None for the norm
            of the whole tensor. Default: 0

    Returns:
        Module: ``module``, parametrized.

    Example::

        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        ((40, 1), (40, 20))
    """
    from .parametrize import register_parametrization
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _WeightNormHook:
    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Apply weight normalisation to ``module.<name>`` (the older, hook-based API).

    ``w = g * v / ||v||``: the parameter is replaced by ``<name>_g`` and
    ``<name>_v``, and a forward pre-hook recomputes ``module.<name>`` before each
    call. Prefer :func:`nn.utils.parametrizations.weight_norm`.

    Args:
        module (Module): the module to change.
        name (str): the parameter to normalise. Default: ``'weight'``
        dim (int, optional): the dimension kept by the norm; None for the whole
            tensor. Default: 0

    Returns:
        Module: ``module``.

    Example::

        >>> m = nn.utils.weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.weight_g.shape, m.weight_v.shape
        ((40, 1), (40, 20))
    """
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter "
                               f"{name}")
    if name not in module._parameters:
        raise ValueError(f"name: module {type(module).__name__} has no parameter {name!r}")
    dim = -1 if dim is None else dim
    hook = _WeightNormHook(name, dim)
    weight: Any = module._parameters.pop(name)  # present: checked above
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Remove the hook-based weight normalisation: ``module.<name>`` is a plain Parameter again.

    Args:
        module (Module): a module changed by :func:`weight_norm`.
        name (str): the normalised parameter. Default: ``'weight'``

    Example::

        >>> m = nn.utils.remove_weight_norm(nn.utils.weight_norm(nn.Linear(2, 2)))
        >>> sorted(m.state_dict().keys())
        ['bias', 'weight']
    """
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNormHook) and hook.name == name:
            weight = hook.compute_weight(module).detach()
            del module._forward_pre_hooks[k]
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
