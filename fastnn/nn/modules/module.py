"""Module: the base class of every layer, PyTorch's registration and state_dict rules.

A Module keeps its Parameters, buffers and sub-Modules in three ordered dicts
(``_parameters``, ``_buffers``, ``_modules``) filled by ``__setattr__``, so that
``named_parameters()`` and ``state_dict()`` produce PyTorch's dotted names
(``features.0.weight``) in PyTorch's order: a module's own parameters, then its
persistent buffers, then each child in registration order. Hook registration
lives in _hooks.py, state_dict in _state_dict.py, dtype/device moves in
_module_device.py (mixins that Module inherits).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ..._tensor import Tensor
from ..parameter import Parameter
from ._hooks import RemovableHandle, _HookMixin
from ._module_device import _DeviceMixin, _parse_device, move_array  # noqa: F401
from ._state_dict import _StateDictMixin

if TYPE_CHECKING:
    from collections.abc import Iterator

T = TypeVar("T", bound="Module")


def _addindent(s: str, num_spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


class Module(_HookMixin, _StateDictMixin, _DeviceMixin):
    """Base class for all neural-network layers and models (``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign Parameters, buffers
    (:meth:`register_buffer`) and sub-Modules as attributes, and implement
    :meth:`forward`. Assignment registers them, so :meth:`parameters`,
    :meth:`state_dict`, :meth:`to` and :meth:`train` reach the whole tree. Call
    the module (``model(x)``), not ``forward``, so that hooks run.

    Attributes:
        training (bool): whether the module is in training mode (see :meth:`train`).

    Example::

        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = nn.Linear(4, 8)
        ...         self.fc2 = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(F.relu(self.fc1(x)))
        >>> net = Net()
        >>> net(fastnn.ones(3, 4)).shape
        (3, 2)
        >>> [name for name, _ in net.named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool
    _version = 1
    _parameters: OrderedDict[str, Parameter | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: OrderedDict[str, Module | None]  # type: ignore[assignment]
    _forward_hooks: OrderedDict[int, Callable[..., Any]]
    _forward_pre_hooks: OrderedDict[int, Callable[..., Any]]
    _backward_hooks: OrderedDict[int, Callable[..., Any]]
    _backward_pre_hooks: OrderedDict[int, Callable[..., Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; every subclass overrides it.

        Call the module itself (``module(input)``) rather than ``forward``: the
        call also runs the registered hooks.
        """
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # --- calling ---------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)  # the usual case: no hooks
        from ._hooks import call_with_hooks
        return call_with_hooks(self, args, kwargs)

    # --- registration ----------------------------------------------------------------
    def _check_new_name(self, name: str, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter under ``name`` (what ``self.name = param`` does for a Parameter).

        Args:
            name (str): the attribute name; no ``.``, not empty, not an existing
                non-parameter attribute.
            param (Parameter or None): the parameter; None registers the name
                with no value (e.g. ``bias=False``), skipped by :meth:`parameters`
                and :meth:`state_dict`.

        Example::

            >>> m = nn.Module()
            >>> m.register_parameter("scale", nn.Parameter(fastnn.ones(2)))
            >>> [name for name, _ in m.named_parameters()]
            ['scale']
        """
        self._check_new_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(fastnn.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                             "must be created explicitly.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: a Tensor that is state but not a learnable parameter.

        BatchNorm's ``running_mean`` is one. Buffers move with :meth:`to` and
        show up in :meth:`buffers`; persistent ones are also saved in
        :meth:`state_dict`.

        Args:
            name (str): the attribute name.
            tensor (Tensor or None): the buffer's value; None leaves it unset.
            persistent (bool): include it in :meth:`state_dict`. Default: ``True``

        Example::

            >>> m = nn.Module()
            >>> m.register_buffer("steps", fastnn.zeros(1))
            >>> m.register_buffer("cache", fastnn.zeros(3), persistent=False)
            >>> list(m.state_dict().keys()), len(list(m.buffers()))
            (['steps'], 2)
        """
        self._check_new_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(fastnn.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (what ``self.name = module`` does).

        Args:
            name (str): the attribute name; it becomes part of the dotted
                parameter names (``name.weight``).
            module (Module or None): the child.

        Example::

            >>> m = nn.Module()
            >>> m.add_module("proj", nn.Linear(2, 3))
            >>> m
            Module(
              (proj): Linear(in_features=2, out_features=3, bias=True)
            )
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")

        def remove_from(*dicts: dict[str, Any]) -> None:
            for dd in dicts:
                if name in dd:
                    del dd[name]
            d.pop(name, None)

        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(d["_buffers"], d["_modules"])
            d["_non_persistent_buffers_set"].discard(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(fastnn.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(d["_parameters"], d["_buffers"])
            d["_non_persistent_buffers_set"].discard(name)
            d["_modules"][name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(fastnn.nn.Module or None expected)")
            d["_modules"][name] = value
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(fastnn.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for key, default in (("_forward_hooks", OrderedDict), ("_forward_pre_hooks", OrderedDict),
                             ("_backward_hooks", OrderedDict), ("_backward_pre_hooks", OrderedDict),
                             ("_non_persistent_buffers_set", set)):
            if key not in self.__dict__:
                self.__dict__[key] = default()

    # --- iteration -------------------------------------------------------------------
    def _named_members(self, get_members: Callable[[Module], Any], prefix: str = "",
                       recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in mods:
            for k, v in get_members(module):
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield (module_prefix + ("." if module_prefix else "") + k), v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Iterate over ``(dotted name, Parameter)`` pairs, in :meth:`state_dict` order.

        Args:
            prefix (str): prepended to every name. Default: ``''``
            recurse (bool): include the parameters of every descendant, not just
                this module's own. Default: ``True``
            remove_duplicate (bool): yield a Parameter shared by several modules
                once. Default: ``True``

        Example::

            >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
            >>> [(name, p.shape) for name, p in net.named_parameters()]
            [('0.weight', (3, 2)), ('0.bias', (3,)), ('2.weight', (1, 3))]
        """
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Iterate over the module's Parameters (what an optimizer takes).

        Args:
            recurse (bool): include every descendant's parameters. Default: ``True``

        Example::

            >>> sum(p.numel() for p in nn.Linear(4, 3).parameters())
            15
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Iterate over ``(dotted name, buffer)`` pairs, persistent or not.

        Args:
            prefix (str): prepended to every name. Default: ``''``
            recurse (bool): include every descendant's buffers. Default: ``True``
            remove_duplicate (bool): yield a shared buffer once. Default: ``True``

        Example::

            >>> [name for name, _ in nn.BatchNorm1d(3).named_buffers()]
            ['running_mean', 'running_var', 'num_batches_tracked']
        """
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Iterate over the module's buffers.

        Args:
            recurse (bool): include every descendant's buffers. Default: ``True``
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Iterate over ``(name, child)`` for the direct children, each module once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Iterate over the direct children (not their descendants)."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Iterate over ``(dotted name, module)`` for self and every descendant.

        The order is depth first, self first (with name ``prefix``).

        Args:
            memo (set, optional): ids of modules already visited (skipped).
            prefix (str): the name given to self, prepended to the others.
                Default: ``''``
            remove_duplicate (bool): yield a module reachable twice once.
                Default: ``True``

        Example::

            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
            >>> [name for name, _ in net.named_modules()]
            ['', '0', '1', '1.0']
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Iterate over self and every descendant, depth first, each once."""
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target: str) -> Module:
        """Return the descendant at the dotted path ``target`` (``''`` is self).

        Args:
            target (str): e.g. ``'encoder.layers.0'``.

        Raises:
            AttributeError: no module at that path.

        Example::

            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
            >>> net.get_submodule("1.0")
            ReLU()
        """
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            child = mod._modules.get(item)
            if child is None:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = child
        return mod

    def get_parameter(self, target: str) -> Parameter | None:
        """Return the parameter at the dotted path ``target`` (e.g. ``'0.weight'``).

        Args:
            target (str): module path, a dot, then the parameter's name.

        Raises:
            AttributeError: no such module or parameter.
        """
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    # --- modes and gradients ---------------------------------------------------------
    def train(self: T, mode: bool = True) -> T:
        """Set training mode (``mode=True``) or evaluation mode on self and every descendant.

        Layers such as Dropout and BatchNorm behave differently in the two modes.

        Args:
            mode (bool): True for training, False for evaluation. Default: ``True``

        Returns:
            Module: self.

        Example::

            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
            >>> net.train(False)[1].training
            False
        """
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self: T) -> T:
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        """Set ``requires_grad`` on every parameter (e.g. False to freeze); returns self.

        Args:
            requires_grad (bool): the new value. Default: ``True``
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter.

        Args:
            set_to_none (bool): set ``.grad`` to None instead of filling it with
                zeros. Default: ``True``
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad._data
                if getattr(g, "flags", None) is not None and g.flags.writeable:
                    g[...] = 0
                else:
                    p.grad._data = g * 0

    def apply(self: T, fn: Callable[[Module], Any]) -> T:
        """Call ``fn(module)`` on every child (recursively) and then on self; returns self.

        Typically used to initialise weights.

        Args:
            fn (Callable): called with each module.

        Example::

            >>> def init_weights(m):
            ...     if isinstance(m, nn.Linear):
            ...         nn.init.ones_(m.weight)
            >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)).apply(init_weights)
            >>> net[1].weight
            Parameter containing:
            tensor([[1., 1.]], requires_grad=True)
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- description -----------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text shown inside the module's repr; layers override it to show their settings."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"

    def summary(self, input_shape: Any, **kwargs: Any) -> Any:
        """Print a per-layer table (output shape, parameters, FLOPs, memory).

        See :func:`fastnn.nn.summary` for the arguments.
        """
        from ..summary import summary
        return summary(self, input_shape, **kwargs)

    def num_parameters(self, trainable_only: bool = False) -> int:
        """The number of parameter elements (only those requiring grad if ``trainable_only``).

        Example::

            >>> nn.Linear(4, 3).num_parameters()
            15
        """
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def share_memory(self: T) -> T:
        """Move every parameter and buffer to shared memory (for multiprocessing); returns self."""
        from ..._shared_memory import module_share_memory
        return module_share_memory(self)


__all__ = ["Module", "RemovableHandle", "move_array"]
