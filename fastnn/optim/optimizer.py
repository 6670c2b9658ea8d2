"""Optimizer: the base class every fastnn optimizer derives from (PyTorch's API).

Parameters live in ``param_groups`` (a list of dicts, each with its own options
such as ``lr``); per-parameter buffers live in ``state[param]``. An update reads
``p.grad._data`` and writes ``p._data`` in place, so it never touches the
autograd graph: each optimizer hands all the arrays of a group to one kernel of
the backend that owns them (``get_backend(array).adam_step`` ...; the native
one is a single threaded pass, the NumPy reference reads like the formulas,
fastnn/backends/numpy_ref/optim.py). ``state_dict()`` uses PyTorch's layout: parameters are
replaced by their index in the order they appear across the groups.
"""
from __future__ import annotations

import copy
from collections import defaultdict
from itertools import chain
from typing import Any, Callable, Dict, Iterable, Union

import numpy as np

from ..autograd.grad_mode import enable_grad
from .._tensor import Tensor

__all__ = ["Optimizer", "required"]

# What an optimizer takes as ``params``: Tensors, or dicts that each define a group.
ParamsT = Union[Iterable[Tensor], Iterable[Dict[str, Any]]]


class _RequiredParameter:
    """Marker for an option a param group must supply (e.g. SGD's ``lr`` once was)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers: holds ``param_groups`` and per-parameter ``state``;
    subclasses implement :meth:`step`.

    Args:
        params (iterable): Tensors to optimise (leaf, floating point), or dicts each
            defining a parameter group: ``{"params": [...], "lr": ...}``; options a group
            leaves out come from ``defaults``.
        defaults (dict): the default value of every option (``lr``, ...).

    Example::

        >>> w, b = nn.Parameter(fastnn.ones(2)), nn.Parameter(fastnn.zeros(1))
        >>> opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.5]
        >>> sorted(opt.state_dict())
        ['param_groups', 'state']
    """

    def __init__(self, params: ParamsT, defaults: Dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got Tensor")
        if isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got dict (pass [dict] for one group)")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # --- groups ---------------------------------------------------------------------
    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones from defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError("param_group must have a 'params' entry")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if p._data.dtype.kind not in "fc":
                raise TypeError(f"optimizer can only optimize floating point Tensors, got {p.dtype}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # --- gradients ------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (drop it, or fill it with zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    def _params_and_grads(self, group):
        """([params of ``group`` that have a grad], [their grad arrays in the param's dtype]).

        The gradients are not negated for ``maximize``: the update kernels do that.
        """
        params, grads = [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad._data if isinstance(p.grad, Tensor) else p.grad
            if g.shape != p._data.shape:
                raise RuntimeError(f"gradient of shape {tuple(g.shape)} does not match parameter "
                                   f"of shape {tuple(p._data.shape)}")
            params.append(p)
            grads.append(g.astype(p._data.dtype, copy=False))
        return params, grads

    def _grads(self, group):
        """(param, grad array in the param's dtype, negated for ``maximize``) for the params of
        ``group`` that have a grad (for optimizers that update one parameter at a time)."""
        params, grads = self._params_and_grads(group)
        if group.get("maximize", False):
            grads = [-g for g in grads]
        return list(zip(params, grads))

    def _call_closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    # --- serialisation --------------------------------------------------------------
    def state_dict(self) -> Dict[str, Any]:
        """{"state": {index: {...}}, "param_groups": [{options..., "params": [indices]}]}."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            key = index[id(p)] if isinstance(p, Tensor) else p
            state[key] = dict(s)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned (buffers are copied and cast to each param's dtype)."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, sg in zip(self.param_groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(sg["params"] for sg in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.isdigit() else key
            if k in id_map:
                p = id_map[k]
                state[p] = {name: _cast_state(p, name, v) for name, v in value.items()}
            else:
                state[k] = copy.deepcopy(value)
        new_groups = []
        for g, sg in zip(self.param_groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in sg.items() if k != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(param, name, value):
    """A loaded state entry as this optimizer stores it: ``step`` as int, buffers as new Tensors."""
    if name == "step":
        return int(np.asarray(value._data if isinstance(value, Tensor) else value).reshape(-1)[0]) \
            if not isinstance(value, (int, np.integer)) else int(value)
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray):
        arr = np.array(value, dtype=param._data.dtype if value.dtype.kind in "fc" else value.dtype)
        if arr.shape != param._data.shape and arr.ndim > 0:
            raise ValueError(f"state '{name}' has shape {arr.shape}, parameter has {param._data.shape}")
        return Tensor._wrap(arr)
    return copy.deepcopy(value)


def _check_nonneg(name, value):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")
