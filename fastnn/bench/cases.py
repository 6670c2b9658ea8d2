"""The standard benchmark set: each case builds the same work for the NumPy
reference backend, the native backend and (when installed) PyTorch CPU.

A case function takes a NumPy dtype and returns {implementation: callable}.
By default ``python -m fastnn.bench`` rebuilds each case by its name in a fresh
worker process per side and calls only that side's callable, so a case must
build from its name and dtype alone; in the NumPy and native workers
``import torch`` fails (a fastnn user's process has no PyTorch), so a case gets
its torch side through ``_torch()`` and leaves it out when that returns None.
"""
import numpy as np

from ..backends import backend


def _rng():
    return np.random.default_rng(0)


def _upstream(shape, dtype):
    """The gradient arriving from the layers above: made once, outside the timed
    step, since producing it is those layers' work, not the kernel's."""
    return np.random.default_rng(1).standard_normal(shape).astype(dtype)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


# --- kernels ------------------------------------------------------------------------
def gemm_case(m, k, n):
    def make(dtype):
        a = _rng().standard_normal((m, k)).astype(dtype)
        b = _rng().standard_normal((k, n)).astype(dtype)
        ref, nat = backend("numpy"), backend("native")
        impls = {"numpy": lambda: ref.matmul(a, b), "native": lambda: nat.matmul(a, b)}
        torch = _torch()
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            impls["torch"] = lambda: torch.matmul(ta, tb)
        return impls
    return make


def own_gemm_case(m, k, n):
    """fastnn's own packed GEMM (not the default path) against NumPy's BLAS."""
    def make(dtype):
        from ..backends.native import gemm as native_gemm
        a = _rng().standard_normal((m, k)).astype(dtype)
        b = _rng().standard_normal((k, n)).astype(dtype)
        return {"numpy": lambda: np.matmul(a, b), "native": lambda: native_gemm.fastnn_matmul(a, b)}
    return make


def conv_case(n, c, o, k, hw, padding=0):
    def make(dtype):
        g = _rng()
        x = g.standard_normal((n, c, hw, hw)).astype(dtype)
        w = g.standard_normal((o, c, k, k)).astype(dtype) * 0.1
        b = g.standard_normal(o).astype(dtype)
        out = hw + 2 * padding - k + 1
        dy = _upstream((n, o, out, out), dtype)
        impls = {}
        for name in ("numpy", "native"):
            kb = backend(name)

            def step(kb=kb):
                y, saved = kb.conv2d_forward(x, w, b, 1, padding, 1, 1)
                kb.conv2d_backward(dy, saved)
            impls[name] = step
        torch = _torch()
        if torch is not None:
            tx = torch.from_numpy(x).requires_grad_()
            tw = torch.from_numpy(w).requires_grad_()
            tb = torch.from_numpy(b).requires_grad_()
            tdy = torch.from_numpy(dy)

            def tstep():
                y = torch.nn.functional.conv2d(tx, tw, tb, padding=padding)
                y.backward(tdy)
                tx.grad = tw.grad = tb.grad = None
            impls["torch"] = tstep
        return impls
    return make


def maxpool_case(n, c, hw):
    def make(dtype):
        x = _rng().standard_normal((n, c, hw, hw)).astype(dtype)
        dy = _upstream((n, c, hw // 2, hw // 2), dtype)
        impls = {}
        for name in ("numpy", "native"):
            kb = backend(name)

            def step(kb=kb):
                y, saved = kb.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
                kb.max_pool2d_backward(dy, saved)
            impls[name] = step
        torch = _torch()
        if torch is not None:
            tx = torch.from_numpy(x).requires_grad_()
            tdy = torch.from_numpy(dy)

            def tstep():
                y = torch.nn.functional.max_pool2d(tx, 2, 2)
                y.backward(tdy)
                tx.grad = None
            impls["torch"] = tstep
        return impls
    return make


def recurrent_case(kind, t, b, i, h, backward=True):
    gates = {"lstm": 4, "gru": 3}[kind]

    def make(dtype):
        g = _rng()
        s = 1.0 / np.sqrt(h)
        x = g.standard_normal((t, b, i)).astype(dtype)
        h0 = np.zeros((b, h), dtype)
        w_ih = g.uniform(-s, s, (gates * h, i)).astype(dtype)
        w_hh = g.uniform(-s, s, (gates * h, h)).astype(dtype)
        b_ih = g.uniform(-s, s, gates * h).astype(dtype)
        b_hh = g.uniform(-s, s, gates * h).astype(dtype)
        dy = _upstream((t, b, h), dtype)
        impls = {}
        # x is data and h0 zeros, as in torch's side below and in nn.LSTM's first
        # layer: their gradients are not needed (fastnn.ops.rnn.Recurrent sets
        # the same fields).
        for name in ("numpy", "native"):
            kb = backend(name)
            if kind == "lstm":
                def step(kb=kb):
                    y, hn, cn, saved = kb.lstm_forward(x, h0, h0, w_ih, w_hh, b_ih, b_hh)
                    if backward:
                        saved.need_dx = saved.need_dh0 = False
                        kb.lstm_backward(dy, None, None, saved)
            else:
                def step(kb=kb):
                    y, hn, saved = kb.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh)
                    if backward:
                        saved.need_dx = saved.need_dh0 = False
                        kb.gru_backward(dy, None, saved)
            impls[name] = step
        torch = _torch()
        if torch is not None:
            mod = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(i, h).to(getattr(torch, str(np.dtype(dtype))))
            tx, tdy = torch.from_numpy(x), torch.from_numpy(dy)

            def tstep():
                if backward:
                    y, _ = mod(tx)
                    y.backward(tdy)
                    mod.zero_grad()
                else:
                    with torch.no_grad():
                        mod(tx)
            impls["torch"] = tstep
        return impls
    return make


def cross_entropy_case(n, c):
    def make(dtype):
        g = _rng()
        logits = g.standard_normal((n, c)).astype(dtype)
        target = g.integers(0, c, n)
        impls = {}
        for name in ("numpy", "native"):
            kb = backend(name)

            def step(kb=kb):
                loss, saved = kb.cross_entropy_forward(logits, target)
                kb.cross_entropy_backward(np.ones_like(loss), saved)
            impls[name] = step
        torch = _torch()
        if torch is not None:
            tl = torch.from_numpy(logits).requires_grad_()
            tt = torch.from_numpy(target)

            def tstep():
                torch.nn.functional.cross_entropy(tl, tt).backward()
                tl.grad = None
            impls["torch"] = tstep
        return impls
    return make


def adam_step_case(numel):
    """One Adam update of ``numel`` parameters: the native fused step, the NumPy reference's."""
    def make(dtype):
        import fastnn
        from ..backends import use_backend
        impls = {}
        for name in ("numpy", "native"):
            p = fastnn.nn.Parameter(fastnn.from_numpy(_rng().standard_normal(numel).astype(dtype)))
            p.grad = fastnn.from_numpy(_rng().standard_normal(numel).astype(dtype))
            opt = fastnn.optim.Adam([p], lr=1e-3)

            def step(opt=opt, name=name):
                with use_backend(name):
                    opt.step()
            impls[name] = step
        torch = _torch()
        if torch is not None:
            tp = torch.nn.Parameter(torch.from_numpy(_rng().standard_normal(numel).astype(dtype)))
            tp.grad = torch.from_numpy(_rng().standard_normal(numel).astype(dtype))
            topt = torch.optim.Adam([tp], lr=1e-3, foreach=False)
            impls["torch"] = topt.step
        return impls
    return make


# --- models -------------------------------------------------------------------------
def _fastnn_cnn():
    from .. import nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))


def _torch_cnn(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))


def _fastnn_mlp():
    from .. import nn
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def _torch_mlp(torch):
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def _with_backend(name, fn):
    from ..backends import use_backend

    def run():
        with use_backend(name):
            fn()
    return run


def cnn_train_step_case(batch):
    def make(dtype):
        import fastnn
        from fastnn.nn import functional as F
        x = _rng().standard_normal((batch, 1, 28, 28)).astype(np.float32)
        y = _rng().integers(0, 10, batch)
        model = _fastnn_cnn()
        opt = fastnn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xt, yt = fastnn.from_numpy(x), fastnn.from_numpy(y)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(xt), yt).backward()
            opt.step()
        impls = {"numpy": _with_backend("numpy", step), "native": _with_backend("native", step)}
        torch = _torch()
        if torch is not None:
            tm = _torch_cnn(torch)
            topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)

            def tstep():
                topt.zero_grad()
                torch.nn.functional.cross_entropy(tm(tx), ty).backward()
                topt.step()
            impls["torch"] = tstep
        return impls
    return make


def inference_case(which):
    def make(dtype):
        import fastnn
        shape = (1, 1, 28, 28) if which == "cnn" else (1, 784)
        x = _rng().standard_normal(shape).astype(np.float32)
        model = (_fastnn_cnn if which == "cnn" else _fastnn_mlp)().eval()
        xt = fastnn.from_numpy(x)

        def infer():
            with fastnn.no_grad():
                model(xt)
        impls = {"numpy": _with_backend("numpy", infer), "native": _with_backend("native", infer)}
        torch = _torch()
        if torch is not None:
            tm = (_torch_cnn if which == "cnn" else _torch_mlp)(torch).eval()
            tx = torch.from_numpy(x)

            def tinfer():
                with torch.no_grad():
                    tm(tx)
            impls["torch"] = tinfer
        return impls
    return make


STANDARD = [
    ("gemm 256", gemm_case(256, 256, 256)),
    ("gemm 512", gemm_case(512, 512, 512)),
    ("gemm 1024", gemm_case(1024, 1024, 1024)),
    ("gemm conv-tall 43264x9x32", gemm_case(43264, 9, 32)),
    ("gemm conv-wide 32x288x7744", gemm_case(32, 288, 7744)),
    ("own gemm 512 (vs BLAS)", own_gemm_case(512, 512, 512)),
    ("own gemm 1024 (vs BLAS)", own_gemm_case(1024, 1024, 1024)),
    ("conv fwd+bwd N64 1->32 3x3 28", conv_case(64, 1, 32, 3, 28)),
    ("conv fwd+bwd N64 32->64 3x3 13", conv_case(64, 32, 64, 3, 13)),
    ("conv fwd+bwd N32 64->64 3x3 32 p1", conv_case(32, 64, 64, 3, 32, padding=1)),
    ("maxpool 2x2 fwd+bwd N64 C32 26", maxpool_case(64, 32, 26)),
    ("cross_entropy fwd+bwd N256 C10", cross_entropy_case(256, 10)),
    ("cross_entropy fwd+bwd N256 C1000", cross_entropy_case(256, 1000)),
    ("adam step 1M params", adam_step_case(1 << 20)),
    ("lstm fwd T50 B32 I128 H256", recurrent_case("lstm", 50, 32, 128, 256, backward=False)),
    ("lstm fwd+bwd T50 B32 I128 H256", recurrent_case("lstm", 50, 32, 128, 256)),
    ("gru fwd+bwd T50 B32 I128 H256", recurrent_case("gru", 50, 32, 128, 256)),
    ("lstm step B1 I128 H256", recurrent_case("lstm", 1, 1, 128, 256, backward=False)),
    ("cnn train step B32", cnn_train_step_case(32)),
    ("cnn inference B1", inference_case("cnn")),
    ("mlp 784-128-10 inference B1", inference_case("mlp")),
]

from .cases_layers import LAYER_CASES  # noqa: E402  (newer layers, their own file)
STANDARD += LAYER_CASES
