"""Small helpers the Adam-family loops share (beta checks, PyTorch's in-place lerp)."""
from __future__ import annotations

from typing import Any, Sequence


def check_betas(betas: Sequence[float]) -> None:
    if len(tuple(betas)) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")


def lerp_(start: Any, end: Any, weight: float) -> None:
    """start += weight * (end - start), in PyTorch's two forms (exact at weight 0 and 1)."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def decay_(x: Any, g: Any, lr: float, weight_decay: float, decoupled: bool) -> Any:
    """Weight decay as NAdam/RAdam apply it: shrink x (decoupled) or add to the gradient."""
    if weight_decay == 0:
        return g
    if decoupled:
        x *= 1 - lr * weight_decay
        return g
    return g + weight_decay * x


__all__ = ["check_betas", "lerp_", "decay_"]
