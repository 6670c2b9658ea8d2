"""Checks of the optimizer family: the per-group lists an update step takes."""
from __future__ import annotations

from typing import Any

__all__ = ["check_group"]


def check_group(fname: str, params: Any, **lists: Any) -> None:
    """Every list in ``lists`` (None: not used) has one array per parameter, shaped like it.

    ``steps`` holds numbers, and a None entry of ``momentum_buffers`` is SGD's
    first step; neither is shape-checked.
    """
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"{fname}: params must be a list of arrays, got {type(params).__name__}")
    for name, arrays in lists.items():
        if arrays is None:
            continue
        if not isinstance(arrays, (list, tuple)):
            raise TypeError(f"{fname}: {name} must be a list, got {type(arrays).__name__}")
        if len(arrays) != len(params):
            raise ValueError(f"{fname}: {name} has {len(arrays)} entries for {len(params)} params")
    for i, p in enumerate(params):
        if not hasattr(p, "dtype") or not hasattr(p, "shape"):
            raise TypeError(f"{fname}: params[{i}] must be an array, got {type(p).__name__}")
        if p.dtype.kind not in "fc":
            raise TypeError(f"{fname}: params[{i}] must be floating point, got {p.dtype}")
        for name, arrays in lists.items():
            if arrays is None or name == "steps":
                continue
            if name == "momentum_buffers" and arrays[i] is None:  # SGD's first step
                continue
            a = arrays[i]
            if not hasattr(a, "shape") or a.shape != p.shape:
                got = tuple(a.shape) if hasattr(a, "shape") else type(a).__name__
                raise ValueError(f"{fname}: {name}[{i}] must have shape {tuple(p.shape)} "
                                 f"(that of params[{i}]), got {got}")
