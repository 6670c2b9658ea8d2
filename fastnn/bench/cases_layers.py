"""Benchmark cases of the newer layers (transposed convolution, attention), built the
same way as those in cases.py: {implementation: callable} from a dtype alone."""
from ..backends import backend


def conv_transpose_case(n, c, o, k, hw, stride, padding):
    """A DCGAN generator block: forward and backward of one strided transposed conv."""
    def make(dtype):
        from .cases import _rng, _torch, _upstream  # cases.py imports this file at its end
        g = _rng()
        x = g.standard_normal((n, c, hw, hw)).astype(dtype)
        w = g.standard_normal((c, o, k, k)).astype(dtype) * 0.1
        b = g.standard_normal(o).astype(dtype)
        out = (hw - 1) * stride - 2 * padding + k
        dy = _upstream((n, o, out, out), dtype)
        impls = {}
        for name in ("numpy", "native"):
            kb = backend(name)

            def step(kb=kb):
                y, saved = kb.conv_transpose2d_forward(x, w, b, stride, padding, 0, 1, 1)
                kb.conv_transpose2d_backward(dy, saved)
            impls[name] = step
        torch = _torch()
        if torch is not None:
            tx = torch.from_numpy(x).requires_grad_()
            tw = torch.from_numpy(w).requires_grad_()
            tb = torch.from_numpy(b).requires_grad_()
            tdy = torch.from_numpy(dy)

            def tstep():
                y = torch.nn.functional.conv_transpose2d(tx, tw, tb, stride, padding)
                y.backward(tdy)
                tx.grad = tw.grad = tb.grad = None
            impls["torch"] = tstep
        return impls
    return make


LAYER_CASES = [
    ("conv_transpose fwd+bwd N64 64->32 4x4 s2 8", conv_transpose_case(64, 64, 32, 4, 8, 2, 1)),
]


def attention_case(batch, heads, length, head_dim, causal):
    """Self-attention of one layer: forward and backward of the attention kernel."""
    def make(dtype):
        from .cases import _rng, _torch, _upstream
        g = _rng()
        b = batch * heads
        q, k, v = (g.standard_normal((b, length, head_dim)).astype(dtype) for _ in range(3))
        dout = _upstream((b, length, head_dim), dtype)
        impls = {}
        for name in ("numpy", "native"):
            kb = backend(name)

            def step(kb=kb):
                out, _, saved = kb.attention_forward(q, k, v, None, None, causal)
                kb.attention_backward(dout, saved)
            impls[name] = step
        torch = _torch()
        if torch is not None:
            tq, tk, tv = (torch.from_numpy(a.reshape(batch, heads, length, head_dim)).requires_grad_()
                          for a in (q, k, v))
            tdout = torch.from_numpy(dout.reshape(batch, heads, length, head_dim))

            def tstep():
                out = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
                out.backward(tdout)
                tq.grad = tk.grad = tv.grad = None
            impls["torch"] = tstep
        return impls
    return make


LAYER_CASES += [
    ("attention fwd+bwd B32 H4 L64 D32 causal", attention_case(32, 4, 64, 32, True)),
    ("attention fwd+bwd B8 H8 L256 D64", attention_case(8, 8, 256, 64, False)),
]
