"""The functions over tensors: ``fastnn.cat``, ``stack``, ``where``, ``einsum``, and the
function form of each Tensor method, ``fastnn.sum(x, 1)`` for ``x.sum(1)`` (torch.sum ...).

The function forms are one explicit table at the bottom: each calls the method of
its first argument by name, so a subclass's or a tracer's override is honoured, and
each takes the method's signature (for mypy) through ``_function_of``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, TypeVar, Union, overload

import numpy as np

from ._promotion import _as_array, _promote, _promote_dtypes, _raw, _t
from ._tensor import Tensor
from .ops import arithmetic as _ops_ar
from .ops import indexing as _ops_ix
from .ops import shape as _ops_sh
from .ops._util import norm_dim

if TYPE_CHECKING:
    from typing_extensions import Concatenate, ParamSpec

    from ._types import TensorLike
    P = ParamSpec("P")
R = TypeVar("R")


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a fastnn Tensor.

    Example::

        >>> fastnn.is_tensor(fastnn.zeros(1)), fastnn.is_tensor([1.0])
        (True, False)
    """
    return isinstance(obj, Tensor)


def cat(tensors: Sequence[TensorLike], dim: int = 0) -> Tensor:
    """Concatenates tensors along an existing dim (dtypes promoted as in PyTorch).

    Args:
        tensors (sequence of Tensors): same shape except in ``dim``.
        dim (int): the dim to join along. Default: 0.

    Example::

        >>> a, b = fastnn.zeros(2, 3), fastnn.ones(1, 3)
        >>> fastnn.cat([a, b]).shape
        (3, 3)
        >>> fastnn.cat([fastnn.tensor([1, 2]), fastnn.tensor([3.5])])
        tensor([1.0000, 2.0000, 3.5000])
    """
    ts = [_t(t) for t in tensors]
    if not ts:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    dt = _promote_dtypes([t._data.dtype for t in ts])
    ts = [t.to(dt) for t in ts]
    axis = norm_dim(dim, ts[0]._data.ndim)
    return _ops_sh.Cat.apply(*ts, axis=axis)


concat = concatenate = cat


def stack(tensors: Sequence[TensorLike], dim: int = 0) -> Tensor:
    """Joins tensors of one shape along a new dim ``dim``.

    Args:
        tensors (sequence of Tensors): all of the same shape.
        dim (int): where the new dim goes. Default: 0.

    Example::

        >>> a, b = fastnn.tensor([1, 2]), fastnn.tensor([3, 4])
        >>> fastnn.stack([a, b])
        tensor([[1, 2],
                [3, 4]])
        >>> fastnn.stack([a, b], dim=1).shape
        (2, 2)
    """
    ts = [_t(t) for t in tensors]
    if not ts:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    shapes = {t._data.shape for t in ts}
    if len(shapes) != 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, got {sorted(shapes)}")
    dt = _promote_dtypes([t._data.dtype for t in ts])
    ts = [t.to(dt) for t in ts]
    axis = norm_dim(dim, ts[0]._data.ndim + 1)
    return _ops_sh.Stack.apply(*ts, axis=axis)


@overload
def where(condition: TensorLike) -> tuple[Tensor, ...]: ...


@overload
def where(condition: TensorLike, input: TensorLike, other: TensorLike) -> Tensor: ...


def where(condition: TensorLike, input: Optional[TensorLike] = None,
          other: Optional[TensorLike] = None) -> Union[Tensor, tuple[Tensor, ...]]:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (all broadcast).

    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``.

    Args:
        condition (Tensor): a bool tensor.
        input (Tensor or Number): the values where ``condition`` is True.
        other (Tensor or Number): the values where it is False.

    Example::

        >>> x = fastnn.tensor([-1.0, 2.0, -3.0])
        >>> fastnn.where(x > 0, x, 0.0)
        tensor([0., 2., 0.])
        >>> fastnn.where(x > 0)
        (tensor([1]),)
    """
    cond = _raw(condition)
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    if a is None and b is None:
        return Tensor._wrap(_as_array(np.where(cond, _raw(input), _raw(other))))
    x: Any
    y: Any
    if a is not None:
        x, y = _promote(a, other)
    else:
        y, x = _promote(b, input)  # type: ignore[arg-type]
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    return _ops_ar.Where.apply(cond, x, y)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over Tensors (``fastnn.einsum("bij,bjk->bik", a, b)``).

    Example::

        >>> a, b = fastnn.ones(2, 3), fastnn.ones(3, 4)
        >>> fastnn.einsum("ij,jk->ik", a, b).shape
        (2, 4)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [_t(o) for o in operands]
    dt = _promote_dtypes([t._data.dtype for t in ts])
    ts = [t if t._data.dtype == dt else t.to(dt) for t in ts]
    return _ops_ix.Einsum.apply(*ts, equation=equation)


def _function_of(method: Callable[Concatenate[Tensor, P], R],
                 name: Optional[str] = None) -> Callable[Concatenate[TensorLike, P], R]:
    """``fastnn.<name>(input, ...)``: ``input`` (made a Tensor) calls its method ``name``."""
    name = name or method.__name__

    def fn(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(_t(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"fastnn.{name}(input, ...) is input.{name}(...): see Tensor.{name}."
    fn.__wrapped__ = method  # type: ignore[attr-defined]  # help() shows the method's parameters
    return fn  # type: ignore[return-value]


# From here on sum, max, min, all, any, abs, round and pow name these functions, not
# the builtins: the code above must not use the builtins of those names.
# reductions
sum = _function_of(Tensor.sum)
mean = _function_of(Tensor.mean)
var = _function_of(Tensor.var)
std = _function_of(Tensor.std)
prod = _function_of(Tensor.prod)
max = _function_of(Tensor.max)
min = _function_of(Tensor.min)
amax = _function_of(Tensor.amax)
amin = _function_of(Tensor.amin)
argmax = _function_of(Tensor.argmax)
argmin = _function_of(Tensor.argmin)
all = _function_of(Tensor.all)
any = _function_of(Tensor.any)
norm = _function_of(Tensor.norm)
logsumexp = _function_of(Tensor.logsumexp)
softmax = _function_of(Tensor.softmax)
log_softmax = _function_of(Tensor.log_softmax)

# orderings
sort = _function_of(Tensor.sort)
argsort = _function_of(Tensor.argsort)
topk = _function_of(Tensor.topk)

# elementwise math
exp = _function_of(Tensor.exp)
log = _function_of(Tensor.log)
log1p = _function_of(Tensor.log1p)
sqrt = _function_of(Tensor.sqrt)
rsqrt = _function_of(Tensor.rsqrt)
abs = _function_of(Tensor.abs)
neg = _function_of(Tensor.neg)
negative = _function_of(Tensor.negative, "negative")
sin = _function_of(Tensor.sin)
cos = _function_of(Tensor.cos)
sigmoid = _function_of(Tensor.sigmoid)
tanh = _function_of(Tensor.tanh)
relu = _function_of(Tensor.relu)
reciprocal = _function_of(Tensor.reciprocal)
square = _function_of(Tensor.square)
sign = _function_of(Tensor.sign)
floor = _function_of(Tensor.floor)
ceil = _function_of(Tensor.ceil)
trunc = _function_of(Tensor.trunc)
round = _function_of(Tensor.round)

# arithmetic and comparisons
clamp = _function_of(Tensor.clamp)
clip = _function_of(Tensor.clip, "clip")
pow = _function_of(Tensor.pow)
add = _function_of(Tensor.add)
sub = _function_of(Tensor.sub)
mul = _function_of(Tensor.mul)
div = _function_of(Tensor.div)
remainder = _function_of(Tensor.remainder)
dot = _function_of(Tensor.dot)
outer = _function_of(Tensor.outer)
maximum = _function_of(Tensor.maximum)
minimum = _function_of(Tensor.minimum)
matmul = _function_of(Tensor.matmul)
mm = _function_of(Tensor.mm)
bmm = _function_of(Tensor.bmm)
isnan = _function_of(Tensor.isnan)
isinf = _function_of(Tensor.isinf)
isfinite = _function_of(Tensor.isfinite)
allclose = _function_of(Tensor.allclose)
equal = _function_of(Tensor.equal)

# shape
reshape = _function_of(Tensor.reshape)
flatten = _function_of(Tensor.flatten)
unflatten = _function_of(Tensor.unflatten)
squeeze = _function_of(Tensor.squeeze)
unsqueeze = _function_of(Tensor.unsqueeze)
permute = _function_of(Tensor.permute)
transpose = _function_of(Tensor.transpose)
swapaxes = _function_of(Tensor.swapaxes, "swapaxes")
t = _function_of(Tensor.t)
flip = _function_of(Tensor.flip)
clone = _function_of(Tensor.clone)
split = _function_of(Tensor.split)
chunk = _function_of(Tensor.chunk)
unbind = _function_of(Tensor.unbind)
broadcast_to = _function_of(Tensor.broadcast_to)
tile = _function_of(Tensor.tile)
movedim = _function_of(Tensor.movedim)
moveaxis = _function_of(Tensor.moveaxis, "moveaxis")
numel = _function_of(Tensor.numel)

# indexing
gather = _function_of(Tensor.gather)
masked_fill = _function_of(Tensor.masked_fill)
index_select = _function_of(Tensor.index_select)
masked_select = _function_of(Tensor.masked_select)
narrow = _function_of(Tensor.narrow)
select = _function_of(Tensor.select)
scatter = _function_of(Tensor.scatter)
scatter_add = _function_of(Tensor.scatter_add)
index_fill = _function_of(Tensor.index_fill)
nonzero = _function_of(Tensor.nonzero)
cumsum = _function_of(Tensor.cumsum)
cumprod = _function_of(Tensor.cumprod)
roll = _function_of(Tensor.roll)
tril = _function_of(Tensor.tril)
triu = _function_of(Tensor.triu)

__all__: list[str] = ["is_tensor", "cat", "concat", "concatenate", "stack", "where", "einsum",
           "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax",
           "argmin", "all", "any", "norm", "logsumexp", "softmax", "log_softmax", "sort",
           "argsort", "topk", "exp", "log", "log1p", "sqrt", "rsqrt", "abs", "neg", "negative",
           "sin", "cos", "sigmoid", "tanh", "relu", "reciprocal", "square", "sign", "floor",
           "ceil", "trunc", "round", "clamp", "clip", "pow", "add", "sub", "mul", "div",
           "remainder", "dot", "outer", "maximum", "minimum", "matmul", "mm", "bmm", "isnan",
           "isinf", "isfinite", "allclose", "equal", "reshape", "flatten", "unflatten",
           "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "t", "flip", "clone",
           "split", "chunk", "unbind", "broadcast_to", "tile", "movedim", "moveaxis", "numel",
           "gather", "masked_fill", "index_select", "masked_select", "narrow", "select",
           "scatter", "scatter_add", "index_fill", "nonzero", "cumsum", "cumprod", "roll",
           "tril", "triu"]
