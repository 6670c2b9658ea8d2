"""C export of einsum (one or two operands: one loop nest over the equation's
letters) and matmul (NumPy's rules: matmul.c on gemm_nn), built with the system
C compiler and compared with fastnn's forward and PyTorch's (where installed)."""
import os
import sys

import numpy as np
import pytest

import fastnn
from fastnn import nn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402
from _tensor_check import Net, check, inputs  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")


def _einsums(h, lib):
    w = h[0]  # [5, 6]
    return (lib.einsum("bij,bkj->bik", h, h), lib.einsum("bij->bji", h),
            lib.einsum("bij->", h), lib.einsum("bij,jk->bik", h, w.transpose(0, 1)),
            lib.einsum("bij,bij->bi", h, h), lib.einsum("...j,j->...", h, w[1]),
            lib.einsum("ij,kj", w, w), lib.einsum("bi,bj->bij", h[:, 0], h[:, 1]),
            lib.einsum("bii->bi", h[:, :, :5]), lib.einsum("ii", w[:, :5]))


@pytest.mark.parametrize("batch", [1, 3])
def test_einsum_patterns(tmp_path, batch):
    check(Net(_einsums, 6), inputs((batch, 5, 6)), tmp_path)


def _matmuls(h, lib):
    w = h[0]  # [4, 5]
    return (h @ h.transpose(-1, -2), h @ w.transpose(0, 1), w @ w[0], w[0] @ h.transpose(-1, -2),
            w[0] @ w[1], h[:, None] @ h.transpose(-1, -2)[None], lib.matmul(h, w[1]))


@pytest.mark.parametrize("batch", [1, 2])
def test_matmul_broadcasting(tmp_path, batch):
    check(Net(_matmuls, 5), inputs((batch, 4, 5)), tmp_path)


def test_matmul_with_a_weight(tmp_path):
    """x @ W with W a parameter (not a Linear): the weight is a const array."""
    class Proj(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(fastnn.randn(6, 3))

        def forward(self, x):
            return (x @ self.w).relu().sum(-1)
    model = Proj()
    x = inputs((2, 6))
    info = fastnn.export.to_c(model, fastnn.tensor(x[0]), str(tmp_path))
    exe = _build.build(str(tmp_path))
    out = _build.run(exe, x.reshape(3, -1), int(np.prod(info["output_shapes"][0])))
    with fastnn.no_grad():
        want = np.stack([model(fastnn.tensor(xi)).numpy() for xi in x])
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


def test_three_operands_name_the_equation(tmp_path):
    def fn(h, lib):
        return lib.einsum("bi,bj,bk->bijk", h, h, h)
    with pytest.raises(fastnn.export.ExportError, match="bi,bj,bk->bijk"):
        fastnn.export.to_c(Net(fn), fastnn.randn(2, 3), str(tmp_path))


def test_under_sanitizers(tmp_path):
    """Strided reductions, broadcast where / clamp and contractions under
    -fsanitize=address,undefined: no access out of bounds."""
    san = _build.sanitizer_flags(tmp_path)
    if san is None:
        pytest.skip("sanitized binaries cannot be built or run here")

    def fn(h, lib):
        m = h.amax((1, 3), keepdim=True)
        return (lib.einsum("bcij,bckj->bik", h, h), h.var((0, 2)), h.argmax(1),
                lib.where(h > m * 0.5, h, m).clamp(max=h[:1]).cumsum(2), h.roll(1, 3).tril(),
                h.max(-2)[1], h.logsumexp((1, 3)))
    check(Net(fn, 5), inputs((2, 3, 4, 5)), tmp_path / "m", extra=san)
