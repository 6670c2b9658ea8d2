"""Module.state_dict / load_state_dict (PyTorch's key names and rules), as a mixin.

Keys are dotted paths (``features.0.weight``): a module's own parameters, then
its persistent buffers, then each child in registration order.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._tensor import Tensor

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..parameter import Parameter
    from .module import Module


def _copy_into(dst: Any, src: Any) -> None:
    """Copy ``src`` (array-like) into the array ``dst`` in place, casting to its dtype."""
    from ..._device_move import device_of, move_array as _move
    if not hasattr(src, "shape"):
        src = np.asarray(src)
    dst[...] = _move(src, device_of(dst))


def _as_state_array(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__"):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # e.g. a torch.Tensor
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _StateDictMixin:
    """state_dict() and load_state_dict() of Module."""

    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]

    if TYPE_CHECKING:
        def _get_name(self) -> str: ...

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str,
                            keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else Tensor._wrap(p._data)
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else Tensor._wrap(b._data)

    def state_dict(self, *args: Any, destination: dict[str, Any] | None = None,
                   prefix: str = "", keep_vars: bool = False) -> dict[str, Any]:
        """Return the module's state: an OrderedDict of dotted name -> Tensor.

        It holds every parameter and persistent buffer of the module and its
        descendants, under PyTorch's names, so a PyTorch state_dict of the same
        architecture has the same keys and shapes. The Tensors share memory with
        the module (detached, like PyTorch's) unless ``keep_vars`` is True.

        Args:
            destination (dict, optional): a mapping to fill instead of a new
                OrderedDict. Default: ``None``
            prefix (str): prepended to every key. Default: ``''``
            keep_vars (bool): return the Parameters and buffers themselves
                (autograd leaves) rather than detached Tensors. Default: ``False``

        Returns:
            OrderedDict: name -> Tensor.

        Example::

            >>> net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
            >>> list(net.state_dict().keys())
            ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
        """
        if args:  # PyTorch's deprecated positional form (destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict: Mapping[str, Any], prefix: str, strict: bool,
                              missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(),
                                                        persistent.items()) if v is not None}
        for name, target in local_state.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            src = _as_state_array(state_dict[key])
            if tuple(src.shape) != tuple(target._data.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{tuple(src.shape)} from checkpoint, the shape in current "
                                  f"model is {tuple(target._data.shape)}.")
                continue
            try:
                _copy_into(target._data, src)
            except Exception as exc:  # e.g. an unsafe cast or a read-only array
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions '
                                  f"in the model are {tuple(target._data.shape)} and whose "
                                  f"dimensions in the checkpoint are {tuple(src.shape)}, an "
                                  f"exception occurred : {exc!r}.")
        if strict:
            for key in state_dict:
                if key.startswith(prefix):
                    first = key[len(prefix):].split(".", 1)[0]
                    if first not in self._modules and first not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into the module's parameters and buffers, in place.

        Values may be fastnn Tensors, NumPy arrays or PyTorch tensors; each is
        cast to the dtype of the parameter it fills. Parameter objects are kept,
        so an optimizer built before the call stays valid.

        Args:
            state_dict (dict): name -> value, as returned by :meth:`state_dict`.
            strict (bool): raise when a key of the module is missing from
                ``state_dict`` or ``state_dict`` has a key the module lacks.
                Default: ``True``

        Returns:
            NamedTuple: ``(missing_keys, unexpected_keys)``, two lists of names.

        Raises:
            RuntimeError: a shape mismatch (always, naming the key), or with
                ``strict`` a missing or unexpected key.
            TypeError: ``state_dict`` is not dict-like.

        Example::

            >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
            >>> bool((a.weight == b.weight).all())
            True
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []

        def load(module: _StateDictMixin, prefix: str) -> None:
            module._load_from_state_dict(state_dict, prefix, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        load(self, "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)
