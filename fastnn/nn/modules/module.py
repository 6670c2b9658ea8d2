"""Module: the base class of every layer, PyTorch's registration and state_dict rules.

A Module keeps its Parameters, buffers and sub-Modules in three ordered dicts
(``_parameters``, ``_buffers``, ``_modules``) filled by ``__setattr__``, so that
``named_parameters()`` and ``state_dict()`` produce PyTorch's dotted names
(``features.0.weight``) in PyTorch's order: a module's own parameters, then its
persistent buffers, then each child in registration order.
"""
import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from ..._tensor import Tensor
from ..parameter import Parameter


# --- moving arrays between devices and dtypes ---------------------------------------
def _parse_device(device):
    """None, or a fastnn.device for 'cpu' / 'cuda' / 'cuda:N' / N / a device object."""
    if device is None:
        return None
    from ..._device_move import as_device
    if not isinstance(device, (str, int)) and isinstance(getattr(device, "type", None), str):
        index = getattr(device, "index", None)  # any device object: fastnn's, torch's
        device = device.type if index is None else f"{device.type}:{index}"
    try:
        return as_device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"to(): invalid device {device!r}: {exc}") from None


def move_array(array, device=None, dtype=None):
    """Return ``array`` on ``device`` with ``dtype`` (either may be None = keep).

    This is the single place where Module.to() moves parameter and buffer
    arrays. Only floating-point arrays change dtype (PyTorch's rule: integer
    buffers such as ``num_batches_tracked`` keep theirs). The device move is
    fastnn._device_move.move_array (NumPy <-> CuPy).
    """
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        array = array.astype(dtype)
    dev = _parse_device(device)
    if dev is None:
        return array
    from ..._device_move import move_array as _move
    return _move(array, dev)


def _copy_into(dst, src):
    """Copy ``src`` (array-like) into the array ``dst`` in place, casting to its dtype."""
    from ..._device_move import device_of, move_array as _move
    if not hasattr(src, "shape"):
        src = np.asarray(src)
    dst[...] = _move(src, device_of(dst))


def _as_state_array(value):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__"):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # e.g. a torch.Tensor
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


# --- small helpers -------------------------------------------------------------------
class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by register_*_hook; ``remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *extra):
        self._hooks = hooks_dict
        self._extra = extra  # sets holding this id as a flag (with_kwargs, always_call)
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self._hooks.pop(self.id, None)
        for flags in self._extra:
            flags.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _addindent(s, num_spaces):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


# --- Module --------------------------------------------------------------------------
class Module:
    """Base class for all neural-network layers (see ``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign Parameters / Modules as
    attributes, and implement ``forward``.
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
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

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # --- calling ---------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)  # the usual case: no hooks
        from ._hooks import call_with_hooks
        return call_with_hooks(self, args, kwargs)

    def _add_hook(self, store, hook, prepend=False, flags=()):
        """Register hook in the dict named ``store``; ``flags`` names the side sets
        (with_kwargs, always_call) that hold its id."""
        d = self.__dict__
        if store not in d:
            d[store] = OrderedDict()
        hooks = d[store]
        sets = [d.setdefault(f, set()) for f in flags]
        handle = RemovableHandle(hooks, *sets)
        hooks[handle.id] = hook
        for s in sets:
            s.add(handle.id)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, inputs, output)`` (``hook(module, args, kwargs, output)`` with
        with_kwargs) runs after forward; a non-None return replaces output. always_call:
        it also runs (with output None) when forward raises."""
        flags = ["_forward_hooks_with_kwargs"] * with_kwargs + \
            ["_forward_hooks_always_called"] * always_call
        return self._add_hook("_forward_hooks", hook, prepend, flags)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, inputs)`` runs before forward; a non-None return replaces inputs.
        With with_kwargs: ``hook(module, args, kwargs)`` returning None or (args, kwargs)."""
        flags = ["_forward_pre_hooks_with_kwargs"] * with_kwargs
        return self._add_hook("_forward_pre_hooks", hook, prepend, flags)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs when the gradients of the module's
        tensor inputs are computed; a non-None return replaces grad_input."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs before the module's gradients are computed; a
        non-None return replaces grad_output."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    # --- registration ----------------------------------------------------------------
    def _check_new_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')

    def register_parameter(self, name, param):
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

    def register_buffer(self, name, tensor, persistent=True):
        """A Tensor that is state but not a parameter (e.g. BatchNorm's running_mean).

        Persistent buffers are saved in ``state_dict()``; non-persistent ones are not.
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

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")

        def remove_from(*dicts):
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

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
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

    def __dir__(self):
        keys = set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        for key, default in (("_forward_hooks", OrderedDict), ("_forward_pre_hooks", OrderedDict),
                             ("_backward_hooks", OrderedDict), ("_backward_pre_hooks", OrderedDict),
                             ("_non_persistent_buffers_set", set)):
            if key not in self.__dict__:
                self.__dict__[key] = default()

    # --- iteration -------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
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

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a Parameter shared by two modules appears once."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for self and every descendant, depth first, self first."""
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

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target):
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    # --- modes and gradients ---------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
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

    def apply(self, fn):
        """Call ``fn(module)`` on every child (recursively) and then on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- dtype / device --------------------------------------------------------------
    def _apply(self, fn):
        """Replace every parameter's, gradient's and buffer's array by ``fn(array)``.

        The Parameter objects stay the same (optimizers keep valid references);
        only their ``._data`` changes.
        """
        for m in self.children():
            m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            p._data = fn(p._data)
            if p.grad is not None:
                p.grad._data = fn(p.grad._data)
        for name, b in self._buffers.items():
            if b is not None:
                b._data = fn(b._data)
        return self

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` or keywords.

        Floating-point parameters and buffers are cast to ``dtype``; every array
        is moved by :func:`move_array`.
        """
        from ..._device_move import parse_to_args
        device, dtype = parse_to_args(args, kwargs)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        device = _parse_device(device)  # validate before touching anything
        return self._apply(lambda a: move_array(a, device=device, dtype=dtype))

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def half(self):
        return self.to(np.float16)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else
                       (f"cuda:{device}" if isinstance(device, int) else device))

    # --- state_dict ------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else Tensor._wrap(p._data)
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else Tensor._wrap(b._data)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """OrderedDict of dotted name -> Tensor (parameters and persistent buffers).

        The Tensors share memory with the module (detached, like PyTorch's) unless
        ``keep_vars=True``, which returns the Parameters themselves.
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

    def _load_from_state_dict(self, state_dict, prefix, strict, missing_keys, unexpected_keys,
                              error_msgs):
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

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` (name -> fastnn Tensor or NumPy array) in place.

        A shape mismatch raises RuntimeError naming the key; with ``strict`` so do
        missing and unexpected keys. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing, unexpected, errors = [], [], []

        def load(module, prefix):
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

    # --- description -----------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """One line (or several) shown inside the module's repr; override in layers."""
        return ""

    def __repr__(self):
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

    def summary(self, input_shape, **kwargs):
        """Print a per-layer table (output shape, parameters, FLOPs, memory); see fastnn.nn.summary."""
        from ..summary import summary
        return summary(self, input_shape, **kwargs)

    def num_parameters(self, trainable_only=False):
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


__all__ = ["Module", "RemovableHandle", "move_array"]

from ..._shared_memory import module_share_memory as _module_share_memory  # noqa: E402
Module.share_memory = _module_share_memory
