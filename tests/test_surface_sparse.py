"""Sparse COO tensors for graph nets (fastnn/sparse/)."""
import numpy as np
import pytest

import fastnn
from fastnn.autograd import gradcheck


def _graph(n=6, e=14, seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(2, e))  # with duplicates, unsorted
    vals = rng.standard_normal(e)
    dense = np.zeros((n, n))
    np.add.at(dense, tuple(idx), vals)
    return idx, vals, dense


def test_build_coalesce_to_dense():
    idx, vals, dense = _graph()
    s = fastnn.sparse_coo_tensor(idx, vals, (6, 6))
    assert s.is_sparse and isinstance(s, fastnn.Tensor) and s.shape == (6, 6)
    assert not s.is_coalesced() and s._nnz() == 14
    np.testing.assert_allclose(s.to_dense().numpy(), dense)
    c = s.coalesce()
    assert c.is_coalesced()
    lin = c.indices().numpy()[0] * 6 + c.indices().numpy()[1]
    assert (np.diff(lin) > 0).all()  # sorted and unique
    np.testing.assert_allclose(c.to_dense().numpy(), dense)
    with pytest.raises(RuntimeError, match="coalesce"):
        s.indices()
    back = fastnn.tensor(dense).to_sparse()
    assert back.is_coalesced() and back._nnz() == int((dense != 0).sum())
    np.testing.assert_allclose(back.to_dense().numpy(), dense)
    assert not fastnn.zeros(2).is_sparse


def test_dense_fallbacks():
    idx = np.array([[0, 1, 1], [2, 0, 2]], dtype=np.int32)
    a = fastnn.sparse_coo_tensor(idx, fastnn.ones(3), (2, 3), dtype=fastnn.int64)
    assert a.dtype == np.int64
    s = fastnn.eye(2, 3) + a  # dense + sparse -> dense, as PyTorch
    assert not s.is_sparse and s.tolist() == [[1, 0, 1], [1, 1, 1]]
    assert (a.float().sum(1)).tolist() == [1.0, 2.0]
    np.testing.assert_allclose((fastnn.ones(2, 2) @ a.float()).numpy(), [[1, 0, 2], [1, 0, 2]])


@pytest.mark.parametrize("how", ["matmul", "mm", "spmm", "sparse.mm"])
def test_sparse_dense_product_and_gradients(how):
    idx, vals, dense = _graph()
    x = np.random.default_rng(1).standard_normal((6, 3))
    fn = {"matmul": lambda a, b: a @ b, "mm": fastnn.mm, "spmm": fastnn.spmm,
          "sparse.mm": fastnn.sparse.mm}[how]
    v = fastnn.tensor(vals, requires_grad=True)
    xt = fastnn.tensor(x, requires_grad=True)
    out = fn(fastnn.sparse_coo_tensor(idx, v, (6, 6)), xt)
    np.testing.assert_allclose(out.detach().numpy(), dense @ x, rtol=1e-12)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(fastnn.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), dense.T @ g, rtol=1e-10)
    # d out / d vals_k = g[r_k] . x[c_k]
    np.testing.assert_allclose(v.grad.numpy(), (g[idx[0]] * x[idx[1]]).sum(1), rtol=1e-10)


def test_gradcheck_dense_and_values():
    idx, vals, _ = _graph(5, 9, seed=3)
    x = fastnn.tensor(np.random.default_rng(4).standard_normal((5, 2)), requires_grad=True)
    v = fastnn.tensor(vals, requires_grad=True)
    assert gradcheck(lambda vv, xx: fastnn.sparse.mm(fastnn.sparse_coo_tensor(idx, vv, (5, 5)), xx),
                     (v, x))
    # through to_sparse of a dense tensor that requires grad
    d = fastnn.tensor(np.diag([1.0, 2.0, 0.0, 3.0, 0.5]), requires_grad=True)
    out = d.to_sparse() @ x
    out.sum().backward()
    np.testing.assert_allclose(np.diag(d.grad.numpy()),
                               np.where(np.diag(d.detach().numpy()) != 0, x.detach().numpy().sum(1), 0))


def test_dense_at_sparse_and_transpose():
    idx, vals, dense = _graph(4, 6, seed=5)
    s = fastnn.sparse_coo_tensor(idx, vals, (4, 4))
    x = np.random.default_rng(6).standard_normal((3, 4))
    np.testing.assert_allclose(fastnn.sparse.mm(fastnn.tensor(x), s).numpy(), x @ dense)
    np.testing.assert_allclose(s.t().to_dense().numpy(), dense.T)
    np.testing.assert_allclose((s @ fastnn.tensor(x[0])).numpy(), dense @ x[0])


def test_bad_input():
    with pytest.raises(ValueError, match="values"):
        fastnn.sparse_coo_tensor([[0, 1], [1, 0]], [1.0], (2, 2))
    with pytest.raises(RuntimeError, match="inconsistent"):
        fastnn.sparse_coo_tensor([[0, 3], [1, 0]], [1.0, 2.0], (2, 2))
    with pytest.raises(TypeError, match="integers"):
        fastnn.sparse_coo_tensor([[0.5], [1.0]], [1.0], (2, 2))
    s = fastnn.sparse_coo_tensor([[0], [1]], [1.0], (2, 2))
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        s @ fastnn.ones(3, 2)


def test_gcn_layer_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    n, fin, fout = 8, 5, 3
    edges = rng.integers(0, n, size=(2, 20)).astype(np.int32)
    feats = (rng.random((n, fin)) > 0.6).astype(np.float32)
    w = rng.standard_normal((fin, fout)).astype(np.float32)
    results = []
    for lib in (fastnn, torch):
        adj = lib.sparse_coo_tensor(edges, lib.ones(edges.shape[1]), (n, n), dtype=lib.int64,
                                     check_invariants=True)
        adj = lib.eye(n) + adj
        deg = lib.sqrt(1 / lib.sum(adj, dim=1))
        deg = lib.diag(deg).to_sparse()
        adj = (deg @ adj @ deg).to_sparse()
        x = lib.tensor(feats).to_sparse()
        kernel = lib.tensor(w, requires_grad=True)
        out = lib.spmm(adj, lib.mm(x, kernel))
        (out ** 2).sum().backward()
        results.append((out.detach().numpy(), kernel.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)
