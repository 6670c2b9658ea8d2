"""PyTorch-style custom autograd Functions (fastnn/autograd/custom_function.py)."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import Function, gradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x ** 3 * scale

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2 * ctx.scale, None


class MulAdd(Function):
    """Two tensor inputs, two outputs, one of them non-differentiable."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        out = a * b + a
        idx = (out > 0).long()
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        a, b = ctx.saved_tensors
        ga = g * (b + 1) if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class SetupForm(Function):
    @staticmethod
    def forward(x, k):
        return x.sin() * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, k = inputs
        ctx.save_for_backward(x)
        ctx.k = k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos() * ctx.k, None


def _x(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return fastnn.tensor(rng.standard_normal(shape), requires_grad=True)


def test_gradcheck_float64():
    x = _x(3, 4)
    assert gradcheck(lambda t: Cube.apply(t, 0.5), (x,))
    a, b = _x(5, seed=1), _x(5, seed=2)
    assert gradcheck(lambda p, q: MulAdd.apply(p, q)[0], (a, b))
    assert gradcheck(lambda t: SetupForm.apply(t, 2.0), (_x(6, seed=3),))


def test_forward_runs_without_recording_and_ctx_fields():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y, k):
            seen["grad"] = fastnn.is_grad_enabled()
            seen["needs"] = tuple(ctx.needs_input_grad)
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    x = _x(2)
    y = fastnn.tensor([1.0, 2.0], dtype=fastnn.float64)
    out = Probe.apply(x, y, 3)
    assert seen == {"grad": False, "needs": (True, False, False)}
    from fastnn.autograd.custom_function import CustomNode
    assert out.requires_grad and isinstance(out.grad_fn, CustomNode)
    assert "grad_fn=<ProbeBackward0>" in repr(out)
    assert out.grad_fn.name() == "ProbeBackward"
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_non_differentiable_output_and_materialized_grads():
    a, b = _x(4, seed=4), _x(4, seed=5)
    out, idx = MulAdd.apply(a, b)
    assert out.requires_grad and not idx.requires_grad
    assert idx.dtype == np.int64
    out.sum().backward()  # g_idx arrives as zeros (materialize_grads default)
    np.testing.assert_allclose(a.grad.numpy(), b.detach().numpy() + 1)
    np.testing.assert_allclose(b.grad.numpy(), a.detach().numpy())


def test_set_materialize_grads_false_passes_none():
    got = {}

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            got["g2"] = g2
            return g1 * 2

    x = _x(3)
    y1, _ = Two.apply(x)
    y1.sum().backward()
    assert got["g2"] is None
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])


def test_no_grad_inputs_give_plain_outputs():
    x = fastnn.tensor([1.0, 2.0])
    y = Cube.apply(x, 1.0)
    assert not y.requires_grad and y.grad_fn is None
    with fastnn.no_grad():
        y = Cube.apply(_x(2), 1.0)
    assert not y.requires_grad


def test_wrong_gradient_count_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    out = Bad.apply(_x(2), _x(2, seed=1))
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        out.sum().backward()


def test_broadcast_gradient_is_summed_back():
    class Bias(Function):
        @staticmethod
        def forward(ctx, x, b):
            return x + b

        @staticmethod
        def backward(ctx, g):
            return g, g  # g is (3, 4); b is (4,)

    x, b = _x(3, 4), _x(4, seed=7)
    Bias.apply(x, b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_internal_ops_unaffected():
    # fastnn's own ops subclass the same Function in the array form
    from fastnn.ops.arithmetic import Mul
    assert not Mul._torch_style and Cube._torch_style
    x = _x(3)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


def test_matches_torch():
    torch = pytest.importorskip("torch")

    class TCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return x ** 3 * scale

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2 * ctx.scale, None

    data = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    fx = fastnn.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    fy, ty = Cube.apply(fx, 0.7), TCube.apply(tx, 0.7)
    (fy * fy).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(fy.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-5)


def test_mark_dirty_in_place():
    class AddOne(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = fastnn.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = AddOne.apply(b)
    assert c is b and c.tolist() == [3.0, 5.0]
    (c * c).sum().backward()  # d/da (2a + 1)^2 = 4 (2a + 1)
    np.testing.assert_allclose(a.grad.numpy(), [12.0, 20.0])
    with pytest.raises(RuntimeError, match="leaf"):
        AddOne.apply(fastnn.tensor([1.0], requires_grad=True))


def test_variable_is_a_detached_alias():
    from fastnn.autograd import Variable
    x = fastnn.ones(2)
    v = Variable(x, requires_grad=True)
    assert v is not x and v.requires_grad and v.is_leaf and isinstance(x, Variable)
    v.detach()._data[0] = 5.0
    assert x[0].item() == 5.0  # shares the array
    y = fastnn.ones(2, requires_grad=True) * 2
    w = Variable(y)
    assert not w.requires_grad and w.grad_fn is None
    with pytest.raises(TypeError):
        Variable([1.0])
