"""Spectral normalisation (Miyato et al., 2018): w / sigma(w), sigma the largest singular
value of w viewed as a matrix (dim first, the rest flattened), estimated by power
iteration on vectors u, v kept as buffers; one iteration per training forward.

nn.utils.parametrizations.spectral_norm, as PyTorch: state_dict keys
parametrizations.weight.original, parametrizations.weight.0._u and ._v, so weights
and the power-iteration state load from a torch checkpoint (and then give the same
numbers; a fresh u, v start from fastnn's random generator, not torch's).
"""
from __future__ import annotations

from typing import Any

from ...autograd import grad_mode
from ..modules.module import Module

__all__ = ["spectral_norm"]


def _normalize(x, eps):
    return x / x.norm(2).clamp(min=eps)


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"dim: expected a dim of the {ndim}-D weight, got {dim}")
        if n_power_iterations <= 0:
            raise ValueError(f"n_power_iterations: expected a positive int, got "
                             f"{n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from ..._tensor import randn
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = mat.shape
            dt = weight._data.dtype
            self.register_buffer("_u", _normalize(randn(h, dtype=dt), eps))
            self.register_buffer("_v", _normalize(randn(w, dtype=dt), eps))
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, mat, n):
        with grad_mode.no_grad():
            mat = mat.detach()
            for _ in range(n):
                self._u = _normalize(mat.matmul(self._v), self.eps)
                self._v = _normalize(mat.transpose(0, 1).matmul(self._u), self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return _normalize(weight, self.eps)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.detach(), self._v.detach()
        sigma = (u * mat.matmul(v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Apply spectral normalisation to ``module.<name>`` as a parametrization.

    The weight is divided by its largest singular value sigma (the weight seen
    as a matrix: ``dim`` first, the rest flattened), estimated by power
    iteration on vectors kept as buffers ``_u``, ``_v``: one iteration per
    forward in training mode. Used to stabilise GAN discriminators (Miyato et
    al., 2018). This is ``nn.utils.parametrizations.spectral_norm``.

    Args:
        module (Module): the module to change.
        name (str): the weight to normalise. Default: ``'weight'``
        n_power_iterations (int): power iterations per training forward. Default: 1
        eps (float): keeps the normalisations finite. Default: 1e-12
        dim (int, optional): the output dimension; None means 1 for ConvTranspose
            layers and 0 otherwise.

    Returns:
        Module: ``module``, parametrized.

    Example::

        >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(20, 40))
        >>> sigma = np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0]
        >>> bool(abs(sigma - 1) < 1e-3)
        True
    """
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d
    from .parametrize import register_parametrization
    weight = getattr(module, name, None)
    if weight is None or not hasattr(weight, "ndim"):
        raise ValueError(f"name: module {type(module).__name__} has no parameter or buffer "
                         f"named {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# --- the older hook-based API: nn.utils.spectral_norm / remove_spectral_norm --------------
class _SpectralNormHook:
    """Forward pre-hook: module.<name> = <name>_orig / sigma, one power iteration per
    training call (v first, then u, as PyTorch's old implementation)."""

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def _matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self._matrix(weight)
        if do_power_iteration:
            with grad_mode.no_grad():
                m = mat.detach()
                for _ in range(self.n_power_iterations):
                    v = _normalize(m.transpose(0, 1).matmul(u), self.eps)
                    u = _normalize(m.matmul(v), self.eps)
                setattr(module, self.name + "_u", u)
                setattr(module, self.name + "_v", v)
        sigma = (u.detach() * mat.matmul(v.detach())).sum()
        return weight / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute_weight(module, module.training))


def old_spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                      eps: float = 1e-12, dim: int | None = None) -> Module:
    """Apply spectral normalisation to ``module.<name>`` (``nn.utils.spectral_norm``, the hook API).

    The parameter becomes ``<name>_orig`` with buffers ``<name>_u`` and
    ``<name>_v``; a forward pre-hook sets ``module.<name> = <name>_orig / sigma``
    before each call, with one power iteration per training call. Prefer
    :func:`nn.utils.parametrizations.spectral_norm`.

    Args:
        module (Module): the module to change.
        name (str): the weight to normalise. Default: ``'weight'``
        n_power_iterations (int): power iterations per training call. Default: 1
        eps (float): keeps the normalisations finite. Default: 1e-12
        dim (int, optional): the output dimension; None means 1 for ConvTranspose
            layers and 0 otherwise.

    Returns:
        Module: ``module``.

    Example::

        >>> m = nn.utils.spectral_norm(nn.Linear(20, 40))
        >>> list(m.state_dict().keys())
        ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    from ..._tensor import randn
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter "
                               f"{name}")
    if name not in module._parameters:
        raise ValueError(f"name: module {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    weight: Any = module._parameters.pop(name)  # present: checked above
    mat = hook._matrix(weight.detach())
    dt = weight._data.dtype
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", _normalize(randn(mat.shape[0], dtype=dt), eps))
    module.register_buffer(name + "_v", _normalize(randn(mat.shape[1], dtype=dt), eps))
    object.__setattr__(module, name, weight.detach())
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Remove the hook-based spectral normalisation: ``module.<name>`` is a plain Parameter again.

    It holds the normalised weight. Raises ValueError when there is none.

    Args:
        module (Module): a module changed by ``nn.utils.spectral_norm``.
        name (str): the normalised weight. Default: ``'weight'``

    Example::

        >>> m = nn.utils.remove_spectral_norm(nn.utils.spectral_norm(nn.Linear(2, 2)))
        >>> sorted(m.state_dict().keys())
        ['bias', 'weight']
    """
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            from ..parameter import Parameter
            weight = hook.compute_weight(module, False).detach()
            del module._forward_pre_hooks[k]
            del module._parameters[name + "_orig"]
            del module._buffers[name + "_u"]
            del module._buffers[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight))
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
