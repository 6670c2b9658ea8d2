"""torch.nn.utils.parametrize: a module's tensor computed from other parameters.

register_parametrization(module, "weight", P) moves module.weight into
module.parametrizations.weight.original (or original0, original1, ... when
P.right_inverse returns a tuple) and makes ``module.weight`` a property that
returns P(original...) each time it is read: the module's class is swapped for
a subclass holding that property, as PyTorch does, so state_dict keys are
PyTorch's ("parametrizations.weight.original0", ...).
"""
import contextlib

from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "ParametrizationList"]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (applied in order) and its original(s)."""

    def __init__(self, modules, original, unsafe=False):
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

    def right_inverse(self, value):
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

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*[getattr(self, f"original{i}") for i in range(self.ntensors)])
        for m in list(self)[1:]:
            x = m(x)
        return x


def _parametrized_class(module):
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


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make module.<tensor_name> the output of parametrization(original); returns module."""
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
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


def is_parametrized(module, tensor_name=None):
    plist = module._modules.get("parametrizations")
    if plist is None or not isinstance(plist, ModuleDict):
        return False
    return len(plist) > 0 if tensor_name is None else tensor_name in plist


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo register_parametrization: module.<tensor_name> becomes a plain Parameter again
    (holding the parametrized value, or the original with leave_parametrized=False)."""
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
def cached():
    """PyTorch caches parametrized tensors inside this block; here they are recomputed
    on each read (the same values), so the block only marks the intent."""
    yield
