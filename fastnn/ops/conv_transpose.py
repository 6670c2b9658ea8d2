"""conv_transpose1d / conv_transpose2d as a differentiable Function over the backend's
conv_transpose family (reference, native, cupy)."""
from ..autograd.function import Function
from ..backends import get_backend
from ._util import half_in, half_out


def _c(a):
    return a if a.flags.c_contiguous else a.copy()


class ConvTranspose(Function):
    def forward(self, x, w, b, stride, padding, output_padding, groups, dilation, nd=2):
        (x, w, b), self.half = half_in(x, w, b)
        be = get_backend(x)
        self.be, self.nd = be, nd
        fwd = be.conv_transpose2d_forward if nd == 2 else be.conv_transpose1d_forward
        y, self.saved = fwd(x, w, b, stride, padding, output_padding, groups, dilation)
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        bwd = self.be.conv_transpose2d_backward if self.nd == 2 else \
            self.be.conv_transpose1d_backward
        dx, dw, db = bwd(_c(g), self.saved)
        return half_out(self.half, dx, dw, db) + (None,) * 5
