"""The Tensor split by concern (issue 18): fastnn/_tensor.py (the class core),
fastnn/_tensor_methods/ (the method families), _promotion, _tensor_str, _factory,
_functions. What the split must keep: every function form is its method, the
in-place forms are real methods, user attributes on tensors, the tracer's patching,
the factories' full signatures, and files a reader can take in (<= 600 lines).
"""
import inspect
import pathlib

import numpy as np
import pytest

import fastnn
from fastnn import _functions
from fastnn._tensor import Tensor

_SAMPLE = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]])

# function form -> the extra arguments of one call (the input comes first)
_ARGS = {
    "sum": (1,), "mean": (0,), "var": (), "std": (), "prod": (), "max": (), "min": (), "amax": (),
    "amin": (), "argmax": (), "argmin": (), "all": (), "any": (), "norm": (), "logsumexp": (1,),
    "softmax": (1,), "log_softmax": (1,), "sort": (), "argsort": (), "topk": (2,),
    "clamp": (-1.0, 1.0), "clip": (-1.0, 1.0), "pow": (2,), "add": (1.0,), "sub": (1.0,),
    "mul": (2.0,), "div": (2.0,), "remainder": (2.0,), "maximum": (0.0,), "minimum": (0.0,),
    "allclose": (_SAMPLE,), "equal": (_SAMPLE,), "reshape": (3, 2), "flatten": (),
    "unflatten": (1, (3, 1)), "squeeze": (), "unsqueeze": (0,), "permute": (1, 0),
    "transpose": (0, 1), "swapaxes": (0, 1), "t": (), "flip": (0,), "clone": (), "split": (1, 1),
    "chunk": (2, 1), "unbind": (), "broadcast_to": ((3, 2, 3),), "tile": (2,),
    "movedim": (0, 1), "moveaxis": (0, 1), "numel": (), "nonzero": (), "cumsum": (1,),
    "cumprod": (1,), "roll": (1, 1), "tril": (), "triu": (),
}


def _same(a, b):
    if isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, Tensor):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    else:
        assert a == b


@pytest.mark.parametrize("name", sorted(_ARGS))
def test_function_form_is_the_method(name):
    x = fastnn.tensor(_SAMPLE)
    _same(getattr(fastnn, name)(x, *_ARGS[name]), getattr(x, name)(*_ARGS[name]))
    # the function form also takes array-likes (converted as fastnn.tensor converts them)
    lists = _SAMPLE.tolist()
    _same(getattr(fastnn, name)(lists, *_ARGS[name]),
          getattr(fastnn.tensor(lists), name)(*_ARGS[name]))


def test_function_table_covers_every_name_and_tests_cover_most():
    table = [n for n in _functions.__all__ if n not in
             ("is_tensor", "cat", "concat", "concatenate", "stack", "where", "einsum")]
    for name in table:
        fn = getattr(fastnn, name)
        assert fn is getattr(_functions, name) and fn.__name__ == name
        assert callable(getattr(Tensor, name)), name
    # the unary math and index forms are checked by name below; the rest above
    unary = {"exp", "log", "log1p", "sqrt", "rsqrt", "abs", "neg", "negative", "sin", "cos",
             "sigmoid", "tanh", "relu", "reciprocal", "square", "sign", "floor", "ceil", "trunc",
             "round", "isnan", "isinf", "isfinite"}
    indexed = {"gather", "masked_fill", "index_select", "masked_select", "narrow", "select",
               "scatter", "scatter_add", "index_fill", "dot", "outer", "matmul", "mm", "bmm"}
    assert set(table) == set(_ARGS) | unary | indexed


@pytest.mark.parametrize("name", ["exp", "sqrt", "abs", "neg", "negative", "sigmoid", "tanh",
                                  "relu", "square", "sign", "floor", "round", "isnan", "isfinite"])
def test_unary_function_forms(name):
    x = fastnn.tensor(np.abs(_SAMPLE) + 0.1)
    _same(getattr(fastnn, name)(x), getattr(x, name)())
    ref = {"negative": np.negative, "square": np.square, "abs": np.abs, "sqrt": np.sqrt}
    if name in ref:
        np.testing.assert_allclose(getattr(fastnn, name)(x).numpy(), ref[name](x.numpy()),
                                   rtol=1e-6)


def test_indexing_function_forms():
    x = fastnn.tensor(_SAMPLE)
    idx = fastnn.tensor([[0, 2], [1, 0]])
    np.testing.assert_array_equal(fastnn.gather(x, 1, idx).numpy(),
                                  np.take_along_axis(_SAMPLE, idx.numpy(), 1))
    np.testing.assert_array_equal(fastnn.masked_fill(x, x < 0, 0.0).numpy(),
                                  np.where(_SAMPLE < 0, 0.0, _SAMPLE))
    np.testing.assert_array_equal(fastnn.index_select(x, 1, fastnn.tensor([2, 0])).numpy(),
                                  _SAMPLE[:, [2, 0]])
    np.testing.assert_array_equal(fastnn.narrow(x, 1, 1, 2).numpy(), _SAMPLE[:, 1:3])
    np.testing.assert_array_equal(fastnn.select(x, 0, 1).numpy(), _SAMPLE[1])
    v = fastnn.tensor([1.0, 2.0, 3.0])
    assert fastnn.dot(v, v).item() == 14.0
    np.testing.assert_array_equal(fastnn.outer(v, v).numpy(), np.outer([1, 2, 3], [1, 2, 3]))
    np.testing.assert_array_equal(fastnn.mm(x, x.t()).numpy(), _SAMPLE @ _SAMPLE.T)


@pytest.mark.parametrize("name", ["abs", "neg", "exp", "log", "log1p", "sqrt", "rsqrt", "sin",
                                  "cos", "sigmoid", "tanh", "relu", "reciprocal", "square", "sign",
                                  "floor", "ceil", "trunc", "round"])
def test_inplace_unary_methods_are_defined_methods(name):
    # defined in fastnn/_tensor_methods/inplace.py, not generated at import
    method = getattr(Tensor, name + "_")
    assert method.__module__ == "fastnn._tensor_methods.inplace" and method.__name__ == name + "_"
    data = np.abs(_SAMPLE) + 0.5
    t = fastnn.tensor(data)
    assert getattr(t, name + "_")() is t
    np.testing.assert_allclose(t.numpy(), getattr(fastnn.tensor(data), name)().numpy())


def test_tensor_takes_user_attributes_as_torch_does():
    t = fastnn.zeros(2)
    t.name = "w"  # torch.Tensor has a __dict__ too
    assert t.name == "w" and t.__dict__ == {"name": "w"}
    assert "_view_of" in Tensor.__slots__  # internal state is a slot, not in __dict__


def test_view_write_back_keeps_working():
    base = fastnn.zeros(2, 3, requires_grad=True) * 1
    row = base[1]
    row += fastnn.ones(3)
    assert "_view_of" not in base.__dict__ and "_view_of" not in row.__dict__
    np.testing.assert_array_equal(base.detach().numpy(), [[0, 0, 0], [1, 1, 1]])
    w = fastnn.ones(3, requires_grad=True)
    m = fastnn.zeros(2, 3) * 1
    m[0] += w * 2
    m.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_tracer_puts_tensor_methods_back():
    from fastnn.graph.tracer import trace
    before = dict(Tensor.__dict__)
    m = fastnn.nn.Linear(3, 2)
    trace(lambda x: (m(x).max(dim=1)[0] > 0).sum(), (fastnn.randn(4, 3),))
    assert dict(Tensor.__dict__) == before


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "full", "eye", "arange", "linspace",
                                  "rand", "randn", "randint", "zeros_like", "full_like"])
def test_factories_show_pytorch_keywords(name):
    params = inspect.signature(getattr(fastnn, name)).parameters
    assert {"dtype", "device", "requires_grad", "layout"} <= set(params)
    if not name.endswith("_like"):
        assert "out" in params


def test_factory_keywords_apply():
    out = fastnn.empty(2)
    assert fastnn.zeros(2, out=out) is out and out.tolist() == [0.0, 0.0]
    t = fastnn.arange(3.0, requires_grad=True, device="cpu")
    assert t.requires_grad and t.is_leaf and t.tolist() == [0.0, 1.0, 2.0]


_OWNED = ["_tensor.py", "_tensor_str.py", "_promotion.py", "_factory.py", "_factory_kwargs.py",
          "_functions.py", "_types.py", "_dtypes.py", "_compat.py", "_tensor_methods"]


def test_tensor_files_stay_readable():
    root = pathlib.Path(fastnn.__file__).parent
    files = [p for name in _OWNED for p in ((root / name).glob("*.py") if (root / name).is_dir()
                                            else [root / name])]
    assert len(files) >= 16
    for path in files:
        lines = path.read_text().splitlines()
        assert len(lines) <= 600, f"{path.name} has {len(lines)} lines"
        assert lines[0].startswith('"""'), f"{path.name} opens without a comment saying what it is"


def test_function_forms_show_the_method_parameters():
    params = inspect.signature(fastnn.sum).parameters
    assert list(params)[1:] == ["dim", "keepdim", "dtype"]
    assert list(inspect.signature(fastnn.transpose).parameters)[1:] == ["dim0", "dim1"]
