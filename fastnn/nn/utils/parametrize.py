"""torch.nn.utils.parametrize: a module's tensor computed from other parameters.

register_parametrization(module, "weight", P) moves module.weight into
module.parametrizations.weight.original (or original0, original1, ... when
P.right_inverse returns a tuple) and makes ``module.weight`` a property that
returns P(original...) each time it is read: the module's class is swapped for
a subclass holding that property, as PyTorch does, so state_dict keys are
PyTorch's ("parametrizations.weight.original0", ...).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Sequence

from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "ParametrizationList"]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (applied in order) and its original value(s).

    Made by :func:`register_parametrization` and kept in
    ``module.parametrizations[tensor_name]``; calling it computes the
    parametrized tensor.

    Args:
        modules (sequence of Module): the parametrizations, applied in order.
        original (Tensor): the tensor being parametrized; stored as
            ``original`` (or ``original0``, ``original1``, ... when the first
            parametrization's ``right_inverse`` returns several tensors).
        unsafe (bool): skip consistency checks. Default: ``False``

    Example::

        >>> from fastnn.nn.utils import parametrize
        >>> class Double(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> plist = parametrize.ParametrizationList([Double()], fastnn.tensor([1.0, 2.0]))
        >>> plist()
        tensor([2., 4.])
    """

    def __init__(self, modules: Sequence[Module], original: Any, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        new = first.right_inverse(original) if hasattr(first, "right_inverse") else original
        if isinstance(new, (tuple, list)):
            self.is_tensor = False
            self.ntensors = len(new)
            for i, t in enumerate(new):
                self.register_parameter(f"original{i}", Parameter(t.detach(), original.requires_grad))
        else:
            self.is_tensor = True
            self.ntensors = 1
            self.register_parameter("original", Parameter(new.detach(), original.requires_grad))

    def right_inverse(self, value: Any) -> None:
        """Set the original(s) so that the parametrized tensor becomes ``value``."""
        for m in reversed(list(self)[1:]):
            value = m.right_inverse(value) if hasattr(m, "right_inverse") else value
        first = self[0]
        new = first.right_inverse(value) if hasattr(first, "right_inverse") else value
        if self.is_tensor:
            self.original._data[...] = new.detach()._data
        else:
            for i, t in enumerate(new):
                getattr(self, f"original{i}")._data[...] = t.detach()._data

    def forward(self) -> Any:  # type: ignore[override]  # no input: it reads the originals
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*[getattr(self, f"original{i}") for i in range(self.ntensors)])
        for m in list(self)[1:]:
            x = m(x)
        return x


def _parametrized_class(module: Module) -> type:
    """The module's class, or a subclass of it that can hold parametrized properties."""
    cls = type(module)
    if getattr(cls, "_fastnn_parametrized", False):
        return cls

    def setattr_(self, name, value):
        plist = self.__dict__["_modules"].get("parametrizations")
        if plist is not None and name in plist._modules:
            plist[name].right_inverse(value)
        else:
            Module.__setattr__(self, name, value)
    return type(f"Parametrized{cls.__name__}", (cls,),
                {"_fastnn_parametrized": True, "__setattr__": setattr_,
                 "__module__": cls.__module__})


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` applied to its original.

    The parameter or buffer moves to
    ``module.parametrizations[tensor_name].original``; reading
    ``module.<tensor_name>`` then computes ``parametrization(original)`` each
    time, so gradients reach the original. Assigning to it calls the
    parametrization's ``right_inverse`` (if it has one) to set the original. A
    second registration on the same name chains after the first.

    Args:
        module (Module): the module to change (its class becomes a subclass
            ``Parametrized<Class>``).
        tensor_name (str): the name of a parameter or buffer of ``module``.
        parametrization (Module): maps the original to the value; may define
            ``right_inverse(value)``.
        unsafe (bool): skip consistency checks. Default: ``False``

    Returns:
        Module: ``module``.

    Example::

        >>> from fastnn.nn.utils import parametrize
        >>> class Symmetric(nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).transpose(0, 1)
        >>> m = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
        >>> bool((m.weight == m.weight.T).all()), type(m).__name__
        (True, 'ParametrizedLinear')
        >>> list(m.state_dict().keys())
        ['bias', 'parametrizations.weight.original']
    """
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    original: Any
    if tensor_name in module._parameters:
        original = module._parameters[tensor_name]
    elif tensor_name in module._buffers:
        original = module._buffers[tensor_name]
    else:
        raise ValueError(f"tensor_name: module {type(module).__name__} has no parameter or "
                         f"buffer named {tensor_name!r}")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    module._parameters.pop(tensor_name, None)
    module._buffers.pop(tensor_name, None)
    if "parametrizations" not in module._modules:
        module.__class__ = _parametrized_class(module)
        Module.__setattr__(module, "parametrizations", ModuleDict())
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, property(lambda self: self.parametrizations[tensor_name]()))
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, or on any tensor if None).

    Example::

        >>> from fastnn.nn.utils import parametrize
        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))
        >>> parametrize.is_parametrized(m), parametrize.is_parametrized(m, "bias")
        (True, False)
    """
    plist = module._modules.get("parametrizations")
    if plist is None or not isinstance(plist, ModuleDict):
        return False
    return len(plist) > 0 if tensor_name is None else tensor_name in plist


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Undo :func:`register_parametrization`: ``module.<tensor_name>`` is a plain Parameter again.

    Args:
        module (Module): the parametrized module.
        tensor_name (str): the parametrized tensor.
        leave_parametrized (bool): keep the current parametrized value; False
            restores the original (only for a single original tensor).
            Default: ``True``

    Returns:
        Module: ``module``, its class restored once no parametrization is left.

    Example::

        >>> from fastnn.nn.utils import parametrize
        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))
        >>> m = parametrize.remove_parametrizations(m, "weight")
        >>> type(m).__name__, sorted(m.state_dict().keys())
        ('Linear', ['bias', 'weight'])
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"tensor_name: module {type(module).__name__} has no parametrization "
                         f"on {tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        value = Parameter(plist().detach())
    elif plist.is_tensor:
        value = plist.original
    else:
        raise ValueError("leave_parametrized=False needs a parametrization with one original "
                         "tensor")
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    Module.__setattr__(module, tensor_name, value)
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        module.__class__ = type(module).__mro__[1]
    return module


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """A context manager in which PyTorch caches parametrized tensors.

    Here they are recomputed on each read (the same values), so the block only
    marks the intent; code written for PyTorch runs unchanged.

    Example::

        >>> from fastnn.nn.utils import parametrize
        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))
        >>> with parametrize.cached():
        ...     y = m(fastnn.ones(1, 2))
        >>> y.shape
        (1, 2)
    """
    yield
