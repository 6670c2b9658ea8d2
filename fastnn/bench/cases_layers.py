"""Benchmark cases of the newer layers (transposed convolution, attention), built the
same way as those in cases.py: {implementation: callable} from a dtype alone."""
import numpy as np

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
