"""parameters_to_vector / vector_to_parameters (torch.nn.utils.convert_parameters)."""
from __future__ import annotations

from typing import Iterable, Union

from ..._tensor import Tensor, cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Union[Tensor, Iterable[Tensor]]) -> Tensor:
    """Flatten the parameters and concatenate them into one 1-D Tensor.

    The result is differentiable with respect to the parameters.

    Args:
        parameters (Tensor or iterable of Tensors): e.g. ``model.parameters()``.

    Example::

        >>> nn.utils.parameters_to_vector(nn.Linear(2, 3).parameters()).shape
        (9,)
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected at least one parameter")
    return cat([p.reshape(-1) for p in params], 0)


def vector_to_parameters(vec: Tensor, parameters: Union[Tensor, Iterable[Tensor]]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters``, in place.

    The inverse of :func:`parameters_to_vector`; no gradient flows back to ``vec``.

    Args:
        vec (Tensor): 1-D, with as many elements as the parameters together.
        parameters (Tensor or iterable of Tensors): the parameters to overwrite.

    Example::

        >>> lin = nn.Linear(2, 1)
        >>> nn.utils.vector_to_parameters(fastnn.tensor([1.0, 2.0, 3.0]), lin.parameters())
        >>> lin.weight.data, lin.bias.data
        (tensor([[1., 2.]]), tensor([3.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a fastnn Tensor, got "
                        f"{type(vec).__name__}")
    if vec.dim() != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    need = sum(p.numel() for p in params)
    if vec.numel() != need:
        raise ValueError(f"vector_to_parameters: vec has {vec.numel()} elements, the parameters "
                         f"need {need}")
    pos = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[pos:pos + n].reshape(p.shape).astype(p._data.dtype, copy=True)
        pos += n
