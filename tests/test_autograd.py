"""Autograd: every Tensor op's gradient against finite differences (gradcheck),
broadcasting, gradient accumulation, no_grad, detach, in-place rules."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import Function, GradcheckError, gradcheck

rng = np.random.default_rng(0)


def t64(*shape, positive=False, requires_grad=True):
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return fastnn.tensor(a, dtype=fastnn.float64, requires_grad=requires_grad)


UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.abs().add(0.5).log(),
    "sqrt": lambda x: (x * x + 1).sqrt(),
    "abs": lambda x: x.abs(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "pow_scalar": lambda x: x ** 3,
    "pow_frac": lambda x: (x.abs() + 1) ** 0.5,
    "rpow": lambda x: 2 ** x,
    "clamp": lambda x: x.clamp(-0.5, 0.5),
    "clamp_min": lambda x: x.clamp(min=0.1),
    "sign_floor_round": lambda x: x.sign() + x.floor() + x.round() + x,
    "rsub_rdiv": lambda x: 1 - 2 / (x.abs() + 1),
    "square_recip": lambda x: x.square() + (x.abs() + 1).reciprocal(),
    "sum": lambda x: x.sum(),
    "sum_dim": lambda x: x.sum(1),
    "sum_dims_keep": lambda x: x.sum((0, 2), keepdim=True),
    "mean": lambda x: x.mean(),
    "mean_neg_dim": lambda x: x.mean(-1),
    "var": lambda x: x.var(),
    "var_dim": lambda x: x.var(1, keepdim=True),
    "var_biased": lambda x: x.var(dim=(0, 1), unbiased=False),
    "std": lambda x: x.std(),
    "std_dim": lambda x: x.std(2, correction=0),
    "prod": lambda x: x.prod(),
    "prod_dim": lambda x: x.prod(1),
    "max": lambda x: x.max(),
    "max_dim": lambda x: x.max(1).values,
    "min_dim_keep": lambda x: x.min(dim=-1, keepdim=True)[0],
    "amax": lambda x: x.amax((0, 2)),
    "norm": lambda x: x.norm(),
    "norm_dim": lambda x: x.norm(dim=1),
    "norm_p1": lambda x: x.norm(p=1, dim=2),
    "norm_p3": lambda x: x.norm(p=3),
    "norm_inf": lambda x: x.norm(p=float("inf"), dim=0),
    "reshape": lambda x: x.reshape(4, -1) * 2,
    "view_flatten": lambda x: x.view(2, 12).flatten() * 3,
    "flatten_range": lambda x: x.flatten(1, 2) * 3,
    "permute": lambda x: x.permute(2, 0, 1) * 1.5,
    "transpose": lambda x: x.transpose(0, 2) * 1.5,
    "T": lambda x: x.T * 1.5,
    "squeeze_unsqueeze": lambda x: x.unsqueeze(1).unsqueeze(-1).squeeze(-1) * 2,
    "expand": lambda x: x[:, :1].expand(2, 5, 4) * 1.0,
    "repeat": lambda x: x.repeat(2, 1, 3),
    "repeat_newdim": lambda x: x.repeat(2, 1, 1, 2),
    "contiguous_clone": lambda x: x.transpose(0, 1).contiguous().clone() * 2,
    "flip": lambda x: x.flip(0, 2) * 2,
    "getitem_basic": lambda x: x[1, ::2, 1:3],
    "getitem_ellipsis_none": lambda x: x[..., None, 0],
    "getitem_int_tensor": lambda x: x[fastnn.tensor([0, 1, 0])],  # repeated index accumulates
    "getitem_bool": lambda x: x[x > 0],
    "getitem_mixed": lambda x: x[:, fastnn.tensor([2, 0, 2]), 1],
    "split": lambda x: x.split(2, dim=2)[1] * 2,
    "chunk_cat": lambda x: fastnn.cat(x.chunk(2, dim=2)[::-1], dim=1),
    "unbind_stack": lambda x: fastnn.stack(x.unbind(0), dim=-1),
    "matmul_self": lambda x: x @ x.transpose(1, 2),
    "masked_fill": lambda x: x.masked_fill(x > 0.5, 0.0),
    "gather": lambda x: x.gather(1, fastnn.tensor(np.array([[[0, 1, 2, 0]], [[2, 2, 1, 0]]]))),
    "mod": lambda x: x % 0.7,
    "div_int_tensor": lambda x: x / fastnn.tensor([1, 2, 3, 4]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    x = t64(2, 3, 4)
    assert gradcheck(UNARY[name], (x,))


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 1),
    "pow": lambda a, b: (a.abs() + 0.5) ** b,
    "maximum": lambda a, b: fastnn.maximum(a, b),
    "minimum": lambda a, b: fastnn.minimum(a, b),
    "where": lambda a, b: fastnn.where(a > b, a, b * 2),
    "mod": lambda a, b: a % (b.abs() + 1),
    "add_alpha": lambda a, b: a.add(b, alpha=-2),
}


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)),
                                    ((1,), (2, 3)), ((), (2, 2))])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_gradcheck(name, shapes):
    a, b = t64(*shapes[0]), t64(*shapes[1])
    assert gradcheck(BINARY[name], (a, b))


def test_maximum_ties_split_gradient():
    a = fastnn.tensor([1.0, 2.0], requires_grad=True)
    b = fastnn.tensor([1.0, 3.0], requires_grad=True)
    fastnn.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.5, 1.0])


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                                   ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
                                   ((1, 3, 4), (2, 4, 2)), ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul_gradcheck(sa, sb):
    a, b = t64(*sa), t64(*sb)
    assert gradcheck(lambda a, b: a @ b, (a, b))
    np.testing.assert_allclose((a @ b).detach().numpy(), a._data @ b._data, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "native"])
def test_matmul_uses_both_backends(backend):
    with fastnn.use_backend(backend):
        a, b = t64(5, 3), t64(3, 7)
        assert gradcheck(lambda a, b: a.mm(b), (a, b))
        a32 = fastnn.randn(6, 9)
        b32 = fastnn.randn(9, 4)
        np.testing.assert_allclose((a32 @ b32).numpy(), a32.numpy() @ b32.numpy(), rtol=1e-5, atol=1e-5)


def test_cat_stack_multiple_inputs():
    a, b, c = t64(2, 3), t64(4, 3), t64(1, 3)
    assert gradcheck(lambda a, b, c: fastnn.cat([a, b, c], 0) * 2, (a, b, c))
    d, e = t64(2, 3), t64(2, 3)
    assert gradcheck(lambda d, e: fastnn.stack([d, e], 1), (d, e))


def test_max_dim_gradient_goes_to_selected_index():
    x = fastnn.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    v, i = x.max(dim=1)
    v.sum().backward()
    np.testing.assert_array_equal(i.numpy(), [1, 0])
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.max().backward()  # full reduction: ties share evenly
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 0]])


def test_prod_with_zero():
    x = fastnn.tensor([[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]], dtype=fastnn.float64, requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 6, 0], [8, 4, 2]])
    assert gradcheck(lambda x: x.prod(), (x,))


def test_gradient_accumulates_across_backward_calls():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_subgraph_sums_gradients():
    x = fastnn.tensor([1.5, -2.0], dtype=fastnn.float64, requires_grad=True)
    assert gradcheck(lambda x: (lambda y: y * y + y.exp() * y)(x.sin()), (x,))


def test_no_grad_and_set_grad_enabled():
    x = fastnn.ones(3, requires_grad=True)
    with fastnn.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    with fastnn.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad

    @fastnn.no_grad()
    def f(t):
        return t * 3
    assert not f(x).requires_grad


def test_detach_stops_gradient():
    x = fastnn.tensor([2.0], requires_grad=True)
    y = x * x.detach()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])
    assert not x.detach().requires_grad
    assert np.shares_memory(x.detach()._data, x._data)


def test_int_outputs_do_not_require_grad():
    x = fastnn.randn(3, 4, requires_grad=True)
    v, i = x.max(1)
    assert v.requires_grad and not i.requires_grad
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad


def test_inplace_on_leaf_requiring_grad_raises():
    x = fastnn.ones(3, requires_grad=True)
    for op in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.zero_(), lambda: x.fill_(1.0),
               lambda: x.copy_(fastnn.zeros(3)), lambda: x.sub_(1)):
        with pytest.raises(RuntimeError, match="leaf Variable"):
            op()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 5.0
    with fastnn.no_grad():  # what optimizers do
        x.sub_(0.5)
    np.testing.assert_allclose(x._data, [0.5] * 3)


def test_inplace_on_non_leaf_is_differentiable():
    x = fastnn.tensor([1.0, 2.0, 3.0], dtype=fastnn.float64, requires_grad=True)

    def f(x):
        y = x * 2
        z = y * y          # uses y before the in-place op
        y.mul_(x)          # y = 2 x^2
        y.add_(1)
        y[0] = 0.0
        return z + y
    assert gradcheck(f, (x,))
    y = x * 1
    y[1:] = x[:2] * 5
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 + 5, 5, 0])


def test_setitem_value_requires_grad():
    buf = fastnn.zeros(2, 3, dtype=fastnn.float64)
    v = t64(3)
    buf[1] = v
    assert buf.requires_grad
    (buf * buf).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), 2 * v._data)


def test_retain_grad_and_non_scalar_backward():
    x = fastnn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = (y * y)
    z.backward(fastnn.tensor([1.0, 0.5]))
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 18.0])
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_dtype_cast_gradient():
    x = t64(3)
    assert gradcheck(lambda x: x.float().double() * 2, (x,), eps=1e-2, atol=1e-3, rtol=1e-3)
    y = fastnn.randn(3, requires_grad=True)
    (y.double() * 2).sum().backward()
    assert y.grad.dtype == fastnn.float32


def test_mixed_dtype_grads_keep_input_dtype():
    a = fastnn.randn(3, requires_grad=True)                       # float32
    b = fastnn.randn(3, dtype=fastnn.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == fastnn.float32 and b.grad.dtype == fastnn.float64


class _WrongSquare(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return g * self.x  # missing factor 2


def test_gradcheck_detects_wrong_backward():
    x = t64(4)
    with pytest.raises(GradcheckError):
        gradcheck(_WrongSquare.apply, (x,))
    assert gradcheck(_WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_requires_an_input_with_grad():
    with pytest.raises(ValueError):
        gradcheck(lambda x: x * 2, (t64(3, requires_grad=False),))


def test_deep_graph_no_recursion_error():
    x = fastnn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000, rel=1e-3)


def test_diamond_graph_gets_every_path():
    # regression: a node reached by a short and a long path must run after both
    x = fastnn.tensor([0.5, -1.0], dtype=fastnn.float64, requires_grad=True)
    n = -x
    y = fastnn.where(n > 20, n, ((n * 1.0).exp() + 1).log())
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -1 / (1 + np.exp(x._data)))
