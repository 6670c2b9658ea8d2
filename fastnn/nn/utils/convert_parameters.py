"""parameters_to_vector / vector_to_parameters (torch.nn.utils.convert_parameters)."""
from ..._tensor import Tensor, cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected at least one parameter")
    return cat([p.reshape(-1) for p in params], 0)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (in place, no grad)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
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
