"""keras.layers.MultiHeadAttention against a NumPy transcription of Keras's formula (from
get_weights in Keras's layout), with attention and causal masks, gradients by finite
differences, functional use and a .keras round trip."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import keras


def _np_mha(q, v, k, w, mask=None):
    qk, qb, kk, kb, vk, vb, ok, ob = w
    Q = np.einsum("btd,dhk->bhtk", q, qk) + qb[None, :, None, :]
    K = np.einsum("btd,dhk->bhtk", k, kk) + kb[None, :, None, :]
    V = np.einsum("btd,dhk->bhtk", v, vk) + vb[None, :, None, :]
    s = np.einsum("bhqk,bhsk->bhqs", Q / np.sqrt(qk.shape[-1]), K)
    if mask is not None:
        s = s + (1.0 - mask[:, None].astype(np.float64)) * -1e9
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    ctx = np.einsum("bhqs,bhsd->bqhd", p, V)
    return np.einsum("bqhd,hdo->bqo", ctx, ok) + ob, p


def test_matches_numpy_formula_with_masks():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 4, 6)).astype(np.float32)
    v = rng.standard_normal((2, 5, 3)).astype(np.float32)
    layer = keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=7)
    layer(fastnn.tensor(q), fastnn.tensor(v))
    w = [np.asarray(a, np.float64) for a in layer.get_weights()]
    w = [a + rng.standard_normal(a.shape) * 0.1 for a in w]  # nonzero biases too
    layer.set_weights(w)
    shapes = [a.shape for a in w]
    assert shapes == [(6, 3, 2), (3, 2), (3, 3, 2), (3, 2), (3, 3, 4), (3, 4), (3, 4, 7), (7,)]
    out, scores = layer(fastnn.tensor(q), fastnn.tensor(v), return_attention_scores=True)
    ref, p = _np_mha(q, v, v, w)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), p, rtol=1e-4, atol=1e-6)
    mask = rng.random((2, 4, 5)) < 0.7
    mask[:, :, 0] = True
    out = layer(fastnn.tensor(q), fastnn.tensor(v), attention_mask=fastnn.tensor(mask))
    np.testing.assert_allclose(out.detach().numpy(), _np_mha(q, v, v, w, mask)[0], rtol=1e-4, atol=1e-5)
    x = fastnn.tensor(q)
    causal = np.tril(np.ones((4, 4), bool))[None].repeat(2, 0)
    self_layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    a = self_layer(x, x, use_causal_mask=True).detach().numpy()
    b = _np_mha(q, q, q, [np.asarray(t, np.float64) for t in self_layer.get_weights()], causal)[0]
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_gradient_finite_differences():
    rng = np.random.default_rng(1)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)
    x = rng.standard_normal((1, 3, 4))
    layer(fastnn.tensor(x.astype(np.float32)), fastnn.tensor(x.astype(np.float32)))
    for p in layer.parameters():
        p.data = p.data.double()
    t = fastnn.tensor(x, requires_grad=True)
    layer(t, t).sum().backward()
    num = np.zeros_like(x)
    eps = 1e-6
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        num[i] = (float(layer(fastnn.tensor(xp), fastnn.tensor(xp)).sum())
                  - float(layer(fastnn.tensor(xm), fastnn.tensor(xm)).sum())) / (2 * eps)
    np.testing.assert_allclose(t.grad.numpy(), num, rtol=1e-5, atol=1e-7)


def test_functional_model_save_load_and_errors(tmp_path):
    inp = keras.Input((5, 6))
    h = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(inp, inp)
    out = keras.layers.GlobalAveragePooling1D()(h)
    model = keras.Model(inp, out)
    x = np.random.default_rng(2).standard_normal((3, 5, 6)).astype(np.float32)
    path = os.path.join(tmp_path, "m.keras")
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
    with pytest.raises(ValueError, match="num_heads"):
        keras.layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="query"):
        keras.layers.MultiHeadAttention(num_heads=1, key_dim=2)(fastnn.ones(2, 3), fastnn.ones(2, 3))


def test_causal_mask_with_different_query_and_value_lengths():
    # Keras's causal mask is the lower triangle of the (T, S) matrix from its top-left
    # corner (row_index >= col_index), also when T != S
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 3, 4)).astype(np.float32)
    v = rng.standard_normal((2, 5, 4)).astype(np.float32)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    _, scores = layer(fastnn.tensor(q), fastnn.tensor(v), use_causal_mask=True,
                      return_attention_scores=True)
    causal = np.tril(np.ones((3, 5), bool))
    np.testing.assert_array_equal(scores.detach().numpy()[0, 0] > 1e-6, causal)
    w = [np.asarray(t, np.float64) for t in layer.get_weights()]
    out = layer(fastnn.tensor(q), fastnn.tensor(v), use_causal_mask=True).detach().numpy()
    ref = _np_mha(q, v, v, w, causal[None].repeat(2, 0))[0]
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
