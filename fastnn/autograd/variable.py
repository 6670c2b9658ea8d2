"""Variable: PyTorch's pre-0.4 wrapper, kept as it is in PyTorch today -- a detached
alias of a tensor (``Variable(x, requires_grad=True)`` makes a new leaf sharing
x's array), and ``isinstance(t, Variable)`` holds for every Tensor."""


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data, requires_grad=False, volatile=False):
        from .._tensor import Tensor
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = Tensor._wrap(data._data)
        if requires_grad:
            out.requires_grad_(True)
        return out
