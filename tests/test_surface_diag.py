"""fastnn.diag / diagonal / diag_embed / trace, with autograd (fastnn/_diag.py)."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck


def _t(*shape, seed=0, grad=True):
    rng = np.random.default_rng(seed)
    return fastnn.tensor(rng.standard_normal(shape), requires_grad=grad)


@pytest.mark.parametrize("k", [0, 1, -2, 3])
def test_diag_vector_and_matrix_match_numpy(k):
    v = _t(4, grad=False)
    np.testing.assert_array_equal(fastnn.diag(v, k).numpy(), np.diag(v.numpy(), k))
    for shape in ((4, 4), (3, 5), (5, 2)):
        m = _t(*shape, grad=False)
        np.testing.assert_array_equal(fastnn.diag(m, k).numpy(), np.diag(m.numpy(), k))
        np.testing.assert_array_equal(m.diag(k).numpy(), np.diag(m.numpy(), k))


@pytest.mark.parametrize("k", [0, 1, -1])
def test_diag_gradcheck(k):
    assert gradcheck(lambda v: fastnn.diag(v, k) * 2, (_t(3),))
    assert gradcheck(lambda m: fastnn.diag(m, k), (_t(3, 4),))
    assert gradcheck(lambda m: fastnn.diagonal(m, k, 0, 2), (_t(3, 2, 4),))
    assert gradcheck(lambda v: fastnn.diag_embed(v, k), (_t(2, 3),))
    assert gradcheck(lambda m: fastnn.trace(m), (_t(3, 3),))


def test_diagonal_and_embed_match_numpy():
    a = _t(2, 3, 4, grad=False)
    np.testing.assert_array_equal(fastnn.diagonal(a, 1, 1, 2).numpy(),
                                  np.diagonal(a.numpy(), 1, 1, 2))
    np.testing.assert_array_equal(a.diagonal(0, -1, 0).numpy(), np.diagonal(a.numpy(), 0, -1, 0))
    assert fastnn.diag_embed(_t(2, 3, grad=False)).shape == (2, 3, 3)
    assert fastnn.trace(fastnn.eye(4)).item() == 4.0


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="1D or 2D"):
        fastnn.diag(fastnn.zeros(2, 2, 2))
    with pytest.raises(TypeError, match="diagonal"):
        fastnn.diag(fastnn.zeros(2), 1.5)
    with pytest.raises(RuntimeError, match="identical"):
        fastnn.diagonal(fastnn.zeros(2, 2), 0, 1, 1)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    for k in (-1, 0, 2):
        f = fastnn.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
        fo, to = fastnn.diag(f, k), torch.diag(t, k)
        w = np.arange(fo.numel(), dtype=np.float32).reshape(fo.shape)
        (fo * fastnn.tensor(w)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(fo.detach().numpy(), to.detach().numpy())
        np.testing.assert_array_equal(f.grad.numpy(), t.grad.numpy())
        v = data[0]
        np.testing.assert_array_equal(fastnn.diag(fastnn.tensor(v), k).numpy(),
                                      torch.diag(torch.tensor(v), k).numpy())
        np.testing.assert_array_equal(fastnn.diag_embed(fastnn.tensor(data), k, 0, 2).numpy(),
                                      torch.diag_embed(torch.tensor(data), k, 0, 2).numpy())
