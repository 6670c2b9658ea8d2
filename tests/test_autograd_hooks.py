"""Tensor.register_post_accumulate_grad_hook: once per backward, after the leaf's .grad is complete."""
import numpy as np
import pytest

import fastnn


def leaf(values):
    return fastnn.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_fires_once_with_the_whole_gradient_of_a_leaf_used_twice():
    w, b = leaf([1.0, 2.0, 3.0]), leaf([0.5, 0.5, 0.5])
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(("w", t.grad._data.copy())))
    b.register_post_accumulate_grad_hook(lambda t: seen.append(("b", t.grad._data.copy())))
    ((w * 2 + w * w) * b).sum().backward()
    assert [name for name, _ in seen] == ["b", "w"]          # b's gradient is complete first here
    np.testing.assert_allclose(seen[1][1], (2 + 2 * w._data) * b._data)
    np.testing.assert_allclose(seen[0][1], 2 * w._data + w._data ** 2)


def test_sees_accumulation_across_backwards_and_remove():
    w = leaf([1.0, -1.0])
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad._data.copy()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_allclose(calls[0], [3, 3])
    np.testing.assert_allclose(calls[1], [6, 6])              # after adding to the old .grad
    handle.remove()
    handle.remove()                                          # twice is harmless
    (w * 3).sum().backward()
    assert len(calls) == 2


def test_root_leaf_and_unreached_leaf():
    w, other = leaf([2.0]), leaf([1.0])
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append("w"))
    other.register_post_accumulate_grad_hook(lambda t: calls.append("other"))
    w.backward()                                             # the leaf itself is the root
    assert calls == ["w"]
    (w * 2).sum().backward()                                 # `other` is not in this graph
    assert calls == ["w", "w"]


def test_a_leaf_whose_gradient_is_not_needed_by_a_branch():
    # `c` is reached through a node whose other input gets no gradient
    w = leaf([1.0, 2.0])
    const = fastnn.tensor([3.0, 4.0], dtype=fastnn.float64)
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad._data.copy()))
    ((w * const).sum() + (w * w).sum()).backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], const._data + 2 * w._data)


def test_matches_torch_order_and_values():
    torch = pytest.importorskip("torch")
    x0 = np.array([[0.3, -1.2], [0.7, 0.1]])
    wf = fastnn.tensor(x0, requires_grad=True)
    wt = torch.tensor(x0, requires_grad=True)
    got_f, got_t = [], []
    wf.register_post_accumulate_grad_hook(lambda t: got_f.append(t.grad._data.copy()))
    wt.register_post_accumulate_grad_hook(lambda t: got_t.append(t.grad.detach().numpy().copy()))
    (wf @ wf).tanh().sum().backward()
    (wt @ wt).tanh().sum().backward()
    assert len(got_f) == len(got_t) == 1
    np.testing.assert_allclose(got_f[0], got_t[0], rtol=1e-12)


def test_errors():
    w = leaf([1.0])
    with pytest.raises(TypeError, match="callable"):
        w.register_post_accumulate_grad_hook(3)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        fastnn.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
