"""Scaled dot-product attention as one differentiable Function over the backend's
attention family (reference, native, cupy). Two outputs: the attention output
and the (dropped-out) weights, both differentiable."""
from ..autograd.function import Function
from ..backends import get_backend
from ._util import half_in, half_out


def _c(a):
    return a if a.flags.c_contiguous else a.copy()


class Attention(Function):
    """q (B, L, E), k (B, S, E), v (B, S, Ev), bias (B or 1, L, S) or None."""

    def forward(self, q, k, v, bias, scale=None, causal=False, keep=None, empty_rows="zero"):
        (q, k, v, bias), self.half = half_in(q, k, v, bias)
        if self.half and keep is not None:
            keep = keep.astype(q.dtype)
        self.be = get_backend(q)
        self.bias_batch = None if bias is None else bias.shape[0]
        out, w, self.saved = self.be.attention_forward(q, k, v, bias, scale, causal, keep,
                                                       empty_rows)
        return half_out(self.half, out, w)

    def backward(self, g, gw=None):
        if self.half:
            (g, gw), _ = half_in(g, gw)
        dq, dk, dv, ds = self.be.attention_backward(_c(g), self.saved,
                                                    None if gw is None else _c(gw))
        db = None
        if self.bias_batch is not None and self.needs_input_grad[3]:
            db = ds if self.bias_batch == ds.shape[0] else ds.sum(axis=0, keepdims=True)
        return half_out(self.half, dq, dk, dv, db)
