"""The C export's Linear for 1 to 3 rows (templates/linear.c, linear_panel):
weights packed in panels of 16 outputs, read 8 vectors at a time (2 inputs
per step with 4-float vectors, 4 with 8). Compared with fastnn's forward and
with NumPy (float64) at input counts with 0 to 3 inputs left over after the
steps, output counts below, at and past a panel, with and without a bias;
built as dispatched (the AVX2 + FMA copy on a CPU with both) and with
-DMODEL_PORTABLE (the plain C copy)."""
import os
import sys

import numpy as np
import pytest

import fastnn
from fastnn import nn

sys.path.insert(0, os.path.dirname(__file__))
import _c_build as _build  # noqa: E402

pytestmark = pytest.mark.skipif(_build.CC is None, reason="no C compiler found")


@pytest.mark.parametrize("extra", [[], ["-DMODEL_PORTABLE"]], ids=["dispatched", "portable"])
@pytest.mark.parametrize("rows,n_in,n_out,bias", [
    (1, 784, 128, True), (1, 13, 37, True), (2, 1, 16, False), (3, 7, 1, True),
    (1, 2, 33, False), (2, 6, 17, True), (1, 3, 16, True),
    (4, 9, 20, True)])  # 4 rows: gemm_nn's tiles, not the panels
def test_linear_panel(tmp_path, rows, n_in, n_out, bias, extra):
    fastnn.manual_seed(rows + n_in + n_out)
    lin = nn.Linear(n_in, n_out, bias=bias).eval()
    xs = np.random.default_rng(0).standard_normal((3, rows, n_in)).astype(np.float32)
    info = fastnn.export.to_c(lin, fastnn.tensor(xs[0]), str(tmp_path))
    src = open(info["source"]).read()
    assert ("linear_panel(input" in src) == (rows < 4)
    got = _build.run(_build.build(str(tmp_path), extra=extra, opt="-O2"), xs.reshape(3, -1), rows * n_out)
    w = lin.weight.detach().numpy().astype(np.float64)
    b = lin.bias.detach().numpy() if bias else 0.0
    for i, x in enumerate(xs):
        with fastnn.no_grad():
            want = lin(fastnn.tensor(x)).numpy().reshape(-1)
        np.testing.assert_allclose(got[i], want, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(got[i], (x @ w.T + b).reshape(-1), rtol=1e-4, atol=1e-4)
