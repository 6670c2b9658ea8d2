"""PyTorch parity, checked the way an outside reviewer would: the same script, written
once against ``lib`` (torch or fastnn), run on the same weights and inputs, must give
the same numbers (forward, loss, every gradient, parameters after optimizer steps),
the same dtypes, the same state_dict keys and the same repr.
"""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastnn  # noqa: E402
from fastnn.testing import numerical_grads  # noqa: E402

LIBS = (torch, fastnn)


def npy(t):
    """A Tensor of either library (or a number / list) as a NumPy array."""
    if isinstance(t, (list, tuple)):
        return [npy(v) for v in t]
    if hasattr(t, "detach"):
        return np.asarray(t.detach().cpu().numpy() if t.__class__.__module__.startswith("torch")
                          else t.detach().numpy())
    return np.asarray(t)


def close(a, b, rtol=1e-5, atol=1e-6):
    a, b = npy(a), npy(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol)


def same_dtype(tt, ft):
    assert str(tt.dtype).replace("torch.", "") == str(np.dtype(ft.dtype)), (tt.dtype, ft.dtype)


def port_weights(tmodel, fmodel):
    """torch state_dict -> NumPy -> fastnn load_state_dict (strict: same keys)."""
    sd = {k: fastnn.tensor(v.detach().numpy().copy()) for k, v in tmodel.state_dict().items()}
    fmodel.load_state_dict(sd)


def both(builder, seed=0, dtype=None):
    torch.manual_seed(seed)
    tm = builder(torch)
    fm = builder(fastnn)
    if dtype == "double":
        tm, fm = tm.double(), fm.double()
    port_weights(tm, fm)
    return tm, fm


def rng_inputs(seed, *shape, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------------------------
# models, written once against lib
# --------------------------------------------------------------------------------------
def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                         nn.Linear(16, 4))


def lenet(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return Net()


def bn_cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Dropout(0.5), nn.Flatten(), nn.Linear(8 * 2 * 2, 5))


def lstm_classifier(lib):
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 6, padding_idx=0)
            self.lstm = nn.LSTM(6, 5, num_layers=2, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(10, 3)

        def forward(self, tokens):
            out, (h, c) = self.lstm(self.emb(tokens))
            return self.fc(out[:, -1, :]) + h.sum() * 0 + c.sum() * 0

    return Classifier()


def gru_model(lib):
    nn = lib.nn

    class G(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(4, 6, num_layers=2)
            self.head = nn.Linear(6, 2)

        def forward(self, x, h0):
            out, h = self.gru(x, h0)
            return self.head(out).mean(0) + h[-1].sum(1, keepdim=True)

    return G()


def transformer_block(lib):
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self, d=12):
            super().__init__()
            self.ln1 = nn.LayerNorm(d)
            self.fc1 = nn.Linear(d, 4 * d)
            self.act = nn.GELU()
            self.fc2 = nn.Linear(4 * d, d)
            self.ln2 = nn.LayerNorm(d, eps=1e-6)
            self.drop = nn.Dropout(0.1)
            self.out = nn.Linear(d, 3)

        def forward(self, x):
            x = x + self.drop(self.fc2(self.act(self.fc1(self.ln1(x)))))
            return self.out(self.ln2(x)).mean(dim=1)

    return Block()


MODEL_CASES = {
    "mlp": (mlp, lambda lib: (lib.tensor(rng_inputs(1, 6, 8)),), 4),
    "lenet": (lenet, lambda lib: (lib.tensor(rng_inputs(2, 3, 3, 32, 32)),), 10),
    "bn_cnn": (bn_cnn, lambda lib: (lib.tensor(rng_inputs(3, 4, 1, 8, 8)),), 5),
    "lstm": (lstm_classifier,
             lambda lib: (lib.tensor(np.random.default_rng(4).integers(0, 20, (3, 7))),), 3),
    "gru": (gru_model, lambda lib: (lib.tensor(rng_inputs(5, 5, 3, 4)),
                                    lib.tensor(rng_inputs(6, 2, 3, 6))), 2),
    "transformer": (transformer_block, lambda lib: (lib.tensor(rng_inputs(7, 3, 5, 12)),), 3),
}


def _targets(lib, n, classes):
    return lib.tensor(np.random.default_rng(11).integers(0, classes, n))


def _run_forward_backward(lib, model, inputs, classes, train=False):
    model.train(train)
    out = model(*inputs)
    target = _targets(lib, out.shape[0], classes)
    loss = lib.nn.functional.cross_entropy(out, target)
    model.zero_grad()
    loss.backward()
    return out, loss


@pytest.mark.parametrize("name", sorted(MODEL_CASES))
def test_model_forward_loss_and_every_gradient(name):
    builder, make_inputs, classes = MODEL_CASES[name]
    tm, fm = both(builder)
    # eval mode: Dropout off, BatchNorm uses the running statistics
    to, tl = _run_forward_backward(torch, tm, make_inputs(torch), classes)
    fo, fl = _run_forward_backward(fastnn, fm, make_inputs(fastnn), classes)
    close(to, fo, rtol=1e-4, atol=1e-5)
    assert isinstance(fl.item(), float)
    assert abs(tl.item() - fl.item()) < 1e-5
    tnames = [n for n, _ in tm.named_parameters()]
    fnames = [n for n, _ in fm.named_parameters()]
    assert tnames == fnames
    for (n, tp), (_, fp) in zip(tm.named_parameters(), fm.named_parameters()):
        assert fp.grad is not None, n
        close(tp.grad, fp.grad, rtol=1e-3, atol=1e-5)


def test_batchnorm_train_mode_updates_running_stats_like_torch():
    tm, fm = both(bn_cnn)
    x = rng_inputs(3, 4, 1, 8, 8)
    tm.train()
    fm.train()
    for m in (tm, fm):  # Dropout draws differ between libraries: switch it off
        m[7].p = 0.0
    to = tm(torch.tensor(x))
    fo = fm(fastnn.tensor(x))
    close(to, fo, rtol=1e-4, atol=1e-5)
    tsd, fsd = tm.state_dict(), fm.state_dict()
    assert list(tsd) == list(fsd)
    for k in tsd:
        close(tsd[k], fsd[k], rtol=1e-5, atol=1e-6)
        if k.endswith("num_batches_tracked"):
            same_dtype(tsd[k], fsd[k])


OPTIMIZERS = {
    "sgd_nesterov": (lambda lib, ps: lib.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                                   weight_decay=1e-3),
                     lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)),
    "sgd_dampening": (lambda lib, ps: lib.optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3,
                                                    maximize=False),
                      lambda lib, opt: lib.optim.lr_scheduler.MultiStepLR(opt, [1, 3], 0.3)),
    "adam_amsgrad": (lambda lib, ps: lib.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-6,
                                                    weight_decay=1e-2, amsgrad=True),
                     lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4,
                                                                                eta_min=1e-3)),
    "adamw_amsgrad": (lambda lib, ps: lib.optim.AdamW(ps, lr=1e-2, weight_decay=0.1, amsgrad=True),
                      lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
    "rmsprop_centered": (lambda lib, ps: lib.optim.RMSprop(ps, lr=1e-2, alpha=0.9, centered=True,
                                                           momentum=0.5, weight_decay=1e-3),
                         lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(
                             opt, lambda e: 1.0 / (1 + e))),
    "adagrad": (lambda lib, ps: lib.optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=1e-3,
                                                  initial_accumulator_value=0.1),
                lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)),
}


def _train(lib, model, inputs, classes, opt_name, steps=5):
    make_opt, make_sched = OPTIMIZERS[opt_name]
    opt = make_opt(lib, model.parameters())
    sched = make_sched(lib, opt)
    losses, lrs = [], []
    for _ in range(steps):
        opt.zero_grad()
        out = model(*inputs)
        loss = lib.nn.functional.cross_entropy(out, _targets(lib, out.shape[0], classes))
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        lrs.append(sched.get_last_lr()[0])
    return losses, lrs


# every optimizer on the MLP; the bigger models (slower) with two of them
@pytest.mark.parametrize("name,opt_name", [("mlp", o) for o in sorted(OPTIMIZERS)] +
                         [(m, o) for m in ("lenet", "lstm") for o in ("sgd_nesterov", "adam_amsgrad")])
def test_training_steps_match(name, opt_name):
    builder, make_inputs, classes = MODEL_CASES[name]
    tm, fm = both(builder, dtype="double")
    tin = [t.double() if t.is_floating_point() else t for t in make_inputs(torch)]
    fin = [t.double() if t.is_floating_point() else t for t in make_inputs(fastnn)]
    tl, tlr = _train(torch, tm, tin, classes, opt_name)
    fl, flr = _train(fastnn, fm, fin, classes, opt_name)
    np.testing.assert_allclose(fl, tl, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(flr, tlr, rtol=1e-12)
    for (n, tp), (_, fp) in zip(tm.named_parameters(), fm.named_parameters()):
        close(tp, fp, rtol=1e-7, atol=1e-9)


def test_gradient_accumulation_and_zero_grad_default():
    tm, fm = both(mlp)
    for lib, m in ((torch, tm), (fastnn, fm)):
        x = lib.tensor(rng_inputs(1, 6, 8))
        for _ in range(3):
            m(x).pow(2).mean().backward()
    for tp, fp in zip(tm.parameters(), fm.parameters()):
        close(tp.grad, fp.grad, rtol=1e-4, atol=1e-6)
    for lib, m in ((torch, tm), (fastnn, fm)):
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        opt.zero_grad()
        assert all(p.grad is None for p in m.parameters())
        m(lib.tensor(rng_inputs(1, 6, 8))).sum().backward()
        m.zero_grad()
        assert all(p.grad is None for p in m.parameters())


# --------------------------------------------------------------------------------------
# losses: value and input gradient, every reduction
# --------------------------------------------------------------------------------------
def _loss_inputs(lib, kind):
    r = np.random.default_rng(21)
    logits = r.standard_normal((6, 5))
    if kind in ("class", "class_no_ignore"):
        tgt = r.integers(0, 5, 6)
        tgt[4] = 3
        if kind == "class":
            tgt[2] = -100
        return lib.tensor(logits, requires_grad=True), lib.tensor(tgt)
    if kind == "prob":
        p = np.exp(r.standard_normal((6, 5)))
        return lib.tensor(logits, requires_grad=True), lib.tensor(p / p.sum(1, keepdims=True))
    if kind == "binary":
        return lib.tensor(logits, requires_grad=True), lib.tensor((r.random((6, 5)) > 0.5) * 1.0)
    return lib.tensor(logits, requires_grad=True), lib.tensor(r.standard_normal((6, 5)) * 2)


LOSSES = {
    "ce_plain": ("class", lambda lib, r: lib.nn.CrossEntropyLoss(reduction=r)),
    "ce_weight_ignore_smooth": ("class", lambda lib, r: lib.nn.CrossEntropyLoss(
        weight=lib.tensor([1.0, 2.0, 0.5, 1.5, 3.0], dtype=lib.float64), ignore_index=-100,
        label_smoothing=0.2, reduction=r)),
    "ce_ignore_1": ("class_no_ignore", lambda lib, r: lib.nn.CrossEntropyLoss(ignore_index=3, reduction=r)),
    "ce_prob_target": ("prob", lambda lib, r: lib.nn.CrossEntropyLoss(
        reduction=r, label_smoothing=0.1)),
    "nll_weight": ("class", lambda lib, r: (lambda x, t: lib.nn.NLLLoss(
        weight=lib.tensor([1.0, 2.0, 0.5, 1.5, 3.0], dtype=lib.float64), reduction=r)(
        lib.nn.functional.log_softmax(x, dim=1), t))),
    "bce_logits_pos_weight": ("binary", lambda lib, r: lib.nn.BCEWithLogitsLoss(
        pos_weight=lib.tensor([1.0, 2.0, 3.0, 0.5, 1.0], dtype=lib.float64), reduction=r)),
    "bce_logits_weight": ("binary", lambda lib, r: lib.nn.BCEWithLogitsLoss(
        weight=lib.tensor([1.0, 2.0, 3.0, 0.5, 1.0], dtype=lib.float64), reduction=r)),
    "bce": ("binary", lambda lib, r: (lambda x, t: lib.nn.BCELoss(reduction=r)(lib.sigmoid(x), t))),
    "mse": ("real", lambda lib, r: lib.nn.MSELoss(reduction=r)),
    "l1": ("real", lambda lib, r: lib.nn.L1Loss(reduction=r)),
    "smooth_l1": ("real", lambda lib, r: lib.nn.SmoothL1Loss(reduction=r, beta=0.7)),
    "huber": ("real", lambda lib, r: lib.nn.HuberLoss(reduction=r, delta=1.5)),
    "kl_div": ("prob", lambda lib, r: (lambda x, t: lib.nn.KLDivLoss(reduction=r)(
        lib.nn.functional.log_softmax(x, 1), t))),
    "kl_div_log_target": ("prob", lambda lib, r: (lambda x, t: lib.nn.KLDivLoss(
        reduction=r, log_target=True)(lib.nn.functional.log_softmax(x, 1), lib.log(t)))),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_match(name, reduction):
    kind, make = LOSSES[name]
    if reduction == "batchmean" and not name.startswith("kl"):
        return
    res = {}
    for lib in LIBS:
        x, t = _loss_inputs(lib, kind)
        loss = make(lib, reduction)(x, t)
        (loss * lib.tensor(np.linspace(0.5, 1.5, loss.numel()).reshape(loss.shape))).sum().backward()
        res[lib.__name__] = (loss, x.grad)
    close(res["torch"][0], res["fastnn"][0], rtol=1e-10, atol=1e-12)
    same_dtype(res["torch"][0], res["fastnn"][0])
    close(res["torch"][1], res["fastnn"][1], rtol=1e-9, atol=1e-12)


def test_cross_entropy_on_sequence_logits():
    """(N, C, d1) logits with (N, d1) targets, as a sequence tagger calls it."""
    r = np.random.default_rng(5)
    x, t = r.standard_normal((2, 4, 3)), r.integers(0, 4, (2, 3))
    out = {}
    for lib in LIBS:
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t), label_smoothing=0.1)
        loss.backward()
        out[lib.__name__] = (loss, xt.grad)
    close(out["torch"][0], out["fastnn"][0], rtol=1e-10)
    close(out["torch"][1], out["fastnn"][1], rtol=1e-9)


# --------------------------------------------------------------------------------------
# functional
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_softmax_dims(fn, dim):
    x = rng_inputs(31, 2, 3, 4, dtype=np.float64)
    res = {}
    for lib in LIBS:
        xt = lib.tensor(x, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(xt, dim=dim)
        (y * lib.tensor(np.arange(24.0).reshape(2, 3, 4))).sum().backward()
        res[lib.__name__] = (y, xt.grad, getattr(xt, fn)(dim))
    for a, b in zip(res["torch"], res["fastnn"]):
        close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pads", [(1, 2), (2, 1, 0, 1), (1, 1, 2, 0)])
def test_pad_modes(mode, pads):
    # torch pads the last len(pads) // 2 dims of a batched input, non-constant modes
    # only on (len(pads) // 2 + 1)- or (len(pads) // 2 + 2)-D inputs
    x = rng_inputs(32, 2, 3, 4, 5, dtype=np.float64)[(0,) * (2 - len(pads) // 2)]
    res = {}
    for lib in LIBS:
        xt = lib.tensor(x, requires_grad=True)
        kw = {"value": 0.5} if mode == "constant" else {}
        y = lib.nn.functional.pad(xt, pads, mode=mode, **kw)
        (y * y).sum().backward()
        res[lib.__name__] = (y, xt.grad)
    close(res["torch"][0], res["fastnn"][0])
    close(res["torch"][1], res["fastnn"][1])


@pytest.mark.parametrize("kw", [dict(scale_factor=2, mode="nearest"), dict(size=(5, 7), mode="nearest"),
                                dict(scale_factor=2, mode="bilinear", align_corners=False),
                                dict(size=(5, 3), mode="bilinear", align_corners=True),
                                dict(size=(6, 9), mode="bilinear", align_corners=False),
                                dict(scale_factor=1.7, mode="nearest"),
                                dict(scale_factor=(0.5, 1.5), mode="bilinear"),
                                dict(size=(3, 2), mode="bilinear", align_corners=False),
                                dict(scale_factor=2.5, mode="linear", one_d=True),
                                dict(size=9, mode="linear", align_corners=True, one_d=True),
                                dict(size=3, mode="nearest", one_d=True)])
def test_interpolate(kw):
    kw = dict(kw)
    x = rng_inputs(33, 2, 3, 4, 5, dtype=np.float64)
    if kw.pop("one_d", False):
        x = x[0]
    res = {}
    for lib in LIBS:
        xt = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.interpolate(xt, **kw)
        (y * y).sum().backward()
        res[lib.__name__] = (y, xt.grad)
    close(res["torch"][0], res["fastnn"][0])
    close(res["torch"][1], res["fastnn"][1])


ACTIVATIONS = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "mish", "softplus",
               "logsigmoid", "sigmoid", "tanh", "hardtanh"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(name):
    x = np.linspace(-4, 4, 33)
    res = {}
    for lib in LIBS:
        xt = lib.tensor(x, requires_grad=True)
        y = getattr(lib.nn.functional, name)(xt)
        y.sum().backward()
        res[lib.__name__] = (y, xt.grad)
    close(res["torch"][0], res["fastnn"][0], rtol=1e-7, atol=1e-9)
    close(res["torch"][1], res["fastnn"][1], rtol=1e-7, atol=1e-9)


def test_gelu_tanh_and_misc_functional():
    x = np.linspace(-3, 3, 13)
    for name, call in [("gelu_tanh", lambda lib, t: lib.nn.functional.gelu(t, approximate="tanh")),
                       ("normalize", lambda lib, t: lib.nn.functional.normalize(t[:12].reshape(3, 4), dim=1)),
                       ("one_hot", lambda lib, t: lib.nn.functional.one_hot(lib.tensor([0, 2, 1]), 4)),
                       ("cos_sim", lambda lib, t: lib.nn.functional.cosine_similarity(
                           t[:12].reshape(3, 4), t[1:].reshape(3, 4)))]:
        a, b = call(torch, torch.tensor(x)), call(fastnn, fastnn.tensor(x))
        close(a, b, rtol=1e-7)
        same_dtype(a, b)


def test_clip_grad_norm_returns_total_norm_and_scales():
    res = {}
    for lib in LIBS:
        ps = [lib.nn.Parameter(lib.tensor(rng_inputs(i, 3, 4, dtype=np.float64))) for i in range(3)]
        for i, p in enumerate(ps):
            p.grad = lib.tensor(rng_inputs(10 + i, 3, 4, dtype=np.float64))
        n2 = lib.nn.utils.clip_grad_norm_(ps, max_norm=1.0)
        ps[0].grad = ps[0].grad * 5
        ninf = lib.nn.utils.clip_grad_norm_(ps, max_norm=0.5, norm_type=float("inf"))
        lib.nn.utils.clip_grad_value_(ps, 0.01)
        res[lib.__name__] = [n2, ninf] + [p.grad for p in ps]
    for a, b in zip(res["torch"], res["fastnn"]):
        close(a, b, rtol=1e-10)
    assert hasattr(res["fastnn"][0], "item")


# --------------------------------------------------------------------------------------
# tensor ops used in scripts: value and gradient against torch, float64
# --------------------------------------------------------------------------------------
def _idx(lib, a):
    return lib.tensor(np.asarray(a, dtype=np.int64))


TENSOR_OPS = {
    "view_permute_contiguous": lambda lib, x: x.view(2, 12).reshape(4, 6).permute(1, 0).contiguous()
    .view(-1),
    "transpose_flatten": lambda lib, x: x.transpose(0, 2).flatten(1),
    "cat_stack": lambda lib, x: lib.cat([lib.stack([x, x * 2], dim=1), x.unsqueeze(1)], dim=1),
    "split_sizes": lambda lib, x: lib.cat([p * (i + 1) for i, p in enumerate(x.split([1, 2], dim=1))], 1),
    "split_int": lambda lib, x: lib.cat([p * (i + 1) for i, p in enumerate(x.split(3, dim=2))], 2),
    "chunk": lambda lib, x: lib.cat([p * (i + 1) for i, p in enumerate(x.chunk(3, dim=-1))], -1),
    "unbind": lambda lib, x: lib.stack([p * (i + 1) for i, p in enumerate(x.unbind(1))]),
    "gather": lambda lib, x: x.gather(2, _idx(lib, [[[0, 3], [1, 1], [2, 0]]] * 2)),
    "scatter_src": lambda lib, x: lib.zeros(2, 3, 5, dtype=lib.float64).scatter(
        2, _idx(lib, [[[0, 4, 1, 2], [1, 2, 3, 0], [3, 0, 4, 1]]] * 2), x),
    "scatter_into_x": lambda lib, x: x.scatter(1, _idx(lib, [[[0, 2, 1, 0]], [[2, 2, 0, 1]]]), -1.5),
    "scatter_add": lambda lib, x: lib.ones(2, 2, 4, dtype=lib.float64).scatter_add(
        1, _idx(lib, [[[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]],
                      [[0, 0, 0, 1], [1, 0, 1, 1], [1, 1, 1, 1]]]), x),
    "index_select": lambda lib, x: x.index_select(2, _idx(lib, [3, 0, 3])),
    "fancy_index": lambda lib, x: x[:, _idx(lib, [2, 0, 2]), 1:3],
    "bool_index": lambda lib, x: x[x > 0.2],
    "masked_fill": lambda lib, x: x.masked_fill(x < 0, -1.0) * x,
    "masked_fill_scalar_tensor": lambda lib, x: x.masked_fill(x > 0.5, lib.tensor(2.0,
                                                                                     dtype=lib.float64)),
    "where": lambda lib, x: lib.where(x > 0, x, x * 0.1),
    "where_scalar": lambda lib, x: lib.where(x > 0, x, 0.0),
    "max_dim": lambda lib, x: x.max(dim=1)[0] + x.max(dim=2, keepdim=True).values.sum(1),
    "min_dim": lambda lib, x: x.min(2)[0],
    "max_all": lambda lib, x: x.max() + x.min(),
    "topk": lambda lib, x: x.topk(2, dim=2)[0],
    "topk_smallest": lambda lib, x: x.topk(3, dim=1, largest=False).values,
    "sort": lambda lib, x: x.sort(dim=2, descending=True)[0] * lib.arange(4, dtype=lib.float64),
    "sort_asc": lambda lib, x: x.sort(1).values,
    "cumsum": lambda lib, x: x.cumsum(dim=1) * x,
    "cumprod": lambda lib, x: x.cumprod(2),
    "einsum_bmm": lambda lib, x: lib.einsum("bij,bkj->bik", x, x),
    "einsum_trace_like": lambda lib, x: lib.einsum("bij->j", x),
    "einsum_ellipsis": lambda lib, x: lib.einsum("...j,j->...", x, x[0, 0]),
    "matmul_broadcast": lambda lib, x: x @ x[0].transpose(0, 1) @ x[1],
    "matmul_vec": lambda lib, x: lib.matmul(x, x[0, 0]),
    "expand": lambda lib, x: x[:, :1].expand(2, 5, 4) * lib.arange(5, dtype=lib.float64)
    .view(1, 5, 1),
    "repeat": lambda lib, x: x.repeat(2, 1, 2),
    "flip": lambda lib, x: x.flip(0, 2) * x,
    "roll": lambda lib, x: x.roll(1, 2) + x.roll((-1, 2), dims=(0, 1)) + x.roll(3),
    "tril_triu": lambda lib, x: x.tril() + 2 * x.triu(1) + x.tril(-1),
    "clamp": lambda lib, x: x.clamp(-0.5, 0.5) + x.clamp(min=0.1) + x.clamp(max=-0.2),
    "std_var": lambda lib, x: x.std() + x.var(1).sum() + x.std(dim=(0, 2), unbiased=False).sum()
    + x.var(2, keepdim=True, correction=0).sum(),
    "norm": lambda lib, x: x.norm() + x.norm(dim=1).sum() + x.norm(p=1, dim=2).sum(),
    "sum_mean_prod": lambda lib, x: x.sum(0) + x.mean(dim=(0,)) + x.prod(0),
    "logsumexp": lambda lib, x: x.logsumexp(2) + lib.logsumexp(x, dim=(0, 1)).sum(),
    "amax": lambda lib, x: x.amax(1) + x.amin(dim=(0, 2)).sum(),
    "pow_exp_log": lambda lib, x: (x ** 2 + 1).log() + x.exp() / 3 + x.abs().sqrt() + 2 ** x,
    "narrow_select": lambda lib, x: x.narrow(2, 1, 2).sum() + x.select(1, 2),
    "outer": lambda lib, x: lib.outer(x[0, 0], x[1, 1]),
    "movedim": lambda lib, x: x.movedim(0, 2) * lib.arange(2, dtype=lib.float64),
}


def _ops_input(lib):
    return lib.tensor(np.random.default_rng(41).standard_normal((2, 3, 4)), requires_grad=True)


@pytest.mark.parametrize("name", sorted(TENSOR_OPS))
def test_tensor_ops_match(name):
    res = {}
    for lib in LIBS:
        x = _ops_input(lib)
        y = TENSOR_OPS[name](lib, x)
        w = lib.tensor(np.random.default_rng(3).standard_normal(tuple(y.shape)))
        (y * w).sum().backward()
        res[lib.__name__] = (y, x.grad)
    close(res["torch"][0], res["fastnn"][0], rtol=1e-10, atol=1e-12)
    same_dtype(res["torch"][0], res["fastnn"][0])
    close(res["torch"][1], res["fastnn"][1], rtol=1e-10, atol=1e-12)


NEW_OPS_GRADCHECK = ["scatter_src", "scatter_into_x", "scatter_add", "index_select", "topk",
                     "sort", "cumsum", "cumprod", "einsum_bmm", "einsum_trace_like",
                     "einsum_ellipsis", "roll", "tril_triu", "logsumexp", "narrow_select",
                     "outer", "movedim", "masked_fill"]


@pytest.mark.parametrize("name", NEW_OPS_GRADCHECK)
def test_new_ops_gradcheck(name):
    x = _ops_input(fastnn)
    assert fastnn.autograd.gradcheck(lambda t: TENSOR_OPS[name](fastnn, t), (x,))


def test_scatter_reads_leading_block_of_larger_src():
    """torch's forward reads src[:index.shape]; its backward rejects that case, so the
    fastnn gradient is checked against finite differences instead."""
    idx = [[[0, 4], [1, 2], [3, 0]]] * 2
    x = _ops_input(fastnn)
    y = fastnn.zeros(2, 3, 5, dtype=fastnn.float64).scatter(2, _idx(fastnn, idx), x)
    yt = torch.zeros(2, 3, 5, dtype=torch.float64).scatter(2, _idx(torch, idx), _ops_input(torch)
                                                           .detach())
    close(yt, y, rtol=0, atol=0)
    assert fastnn.autograd.gradcheck(lambda t: fastnn.zeros(2, 3, 5, dtype=fastnn.float64)
                                     .scatter_add(2, _idx(fastnn, idx), t), (x,))


def test_cumprod_gradient_with_zeros():
    x0 = np.array([[2.0, 0.0, 3.0, -1.0], [0.0, 0.0, 1.5, 2.0]])
    g = np.random.default_rng(0).standard_normal(x0.shape)
    x = fastnn.tensor(x0, requires_grad=True)
    (x.cumprod(1) * fastnn.tensor(g)).sum().backward()
    num = numerical_grads(lambda a: np.cumprod(a, 1), [x0], g)[0]
    np.testing.assert_allclose(x.grad.numpy(), num, atol=1e-6)
    xt = torch.tensor(x0, requires_grad=True)
    (xt.cumprod(1) * torch.tensor(g)).sum().backward()
    close(xt.grad, x.grad, rtol=1e-10)


def test_index_results_and_int_ops():
    a = np.array([[3, 1, 4, 1], [5, 9, 2, 6]])
    for call in [lambda lib, t: t.argmax(), lambda lib, t: t.argmax(dim=1),
                 lambda lib, t: t.argmin(0, keepdim=True), lambda lib, t: t.max(dim=1)[1],
                 lambda lib, t: t.topk(2)[1], lambda lib, t: t.float().sort(1, descending=True)[1],
                 lambda lib, t: t.argsort(dim=1), lambda lib, t: t.cumsum(0),
                 lambda lib, t: (t > 2).sum(), lambda lib, t: (t > 2).any(), lambda lib, t: (t > 0).all(),
                 lambda lib, t: (t > 2).any(dim=1), lambda lib, t: (t > 2).all(0),
                 lambda lib, t: t.nonzero(), lambda lib, t: lib.nonzero(t > 3, as_tuple=True)[1],
                 lambda lib, t: t.masked_select(t > 3), lambda lib, t: t.sum(1), t_prod := (
                     lambda lib, t: t.prod()), lambda lib, t: t.max(), lambda lib, t: t.abs(),
                 lambda lib, t: t.flip(1), lambda lib, t: t.tril(), lambda lib, t: t // 2,
                 lambda lib, t: t % 4, lambda lib, t: -t, lambda lib, t: t.clamp(2, 5),
                 lambda lib, t: lib.where(t > 2, t, 0), lambda lib, t: t.roll(1, 0)]:
        tr, fr = call(torch, torch.tensor(a)), call(fastnn, fastnn.tensor(a))
        close(tr, fr, rtol=0, atol=0)
        same_dtype(tr, fr)
    assert t_prod


def test_inplace_ops_match():
    res = {}
    for lib in LIBS:
        x = lib.tensor(np.arange(12.0).reshape(3, 4))
        x.add_(1).mul_(2).sub_(lib.ones(4), alpha=0.5).div_(3)
        x.clamp_(max=6.0)
        x.masked_fill_(x < 1, 0.25)
        x[0, 1] = 7.0
        x[1:, 2] += 1
        x.pow_(2)
        x.scatter_(1, _idx(lib, [[0], [1], [3]]), 9.0)
        x.zero_() if False else x.fill_(0) if False else None
        y = lib.zeros(3, 4)
        y.copy_(x)
        y.scatter_add_(0, _idx(lib, [[0, 1, 2, 0]]), lib.ones(1, 4))
        res[lib.__name__] = (x, y)
    close(res["torch"][0], res["fastnn"][0], rtol=1e-6)
    close(res["torch"][1], res["fastnn"][1], rtol=1e-6)


def test_inplace_on_graph_nonleaf_gradient():
    res = {}
    for lib in LIBS:
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
        y = x * 2
        y.masked_fill_(y > 1, 0.0)
        y.mul_(x)
        y[:, 0] = 5.0
        y.scatter_(1, _idx(lib, [[2], [1]]), 3.0)
        y.sum().backward()
        res[lib.__name__] = (y, x.grad)
    close(res["torch"][0], res["fastnn"][0], rtol=1e-12)
    close(res["torch"][1], res["fastnn"][1], rtol=1e-12)


# --------------------------------------------------------------------------------------
# dtype rules and factory defaults
# --------------------------------------------------------------------------------------
DTYPE_CASES = [
    lambda lib: lib.tensor([1, 2]) + lib.tensor([1.5, 2.0]),
    lambda lib: lib.tensor([1, 2]) + 1.5,
    lambda lib: lib.tensor([1, 2]) * 2,
    lambda lib: lib.tensor([1, 2]) / 2,
    lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 4]),
    lambda lib: lib.tensor([7, -7]) // 2,
    lambda lib: lib.tensor([7, -7]) % 3,
    lambda lib: lib.tensor([7.5, -7.5]) // 2,
    lambda lib: lib.tensor([7.5, -7.5]) % 2,
    lambda lib: lib.tensor([1, 2]) ** 2,
    lambda lib: lib.tensor([1, 2]) ** 0.5,
    lambda lib: lib.tensor([1.0], dtype=lib.float64) + lib.tensor([1.0]),
    lambda lib: lib.tensor([1.0]) + lib.tensor(1.0, dtype=lib.float64),
    lambda lib: lib.tensor([1.0]) + lib.tensor([1], dtype=lib.int32),
    lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor([1]),
    lambda lib: lib.tensor([1], dtype=lib.int32) + 5,
    lambda lib: lib.tensor([1, 2]) > 1,
    lambda lib: lib.tensor([1.0, 2.0]) == lib.tensor([1, 3]),
    lambda lib: lib.tensor([True, False]) + 1,
    lambda lib: lib.tensor([True, False]) & lib.tensor([True, True]),
    lambda lib: lib.tensor([True, False]).sum(),
    lambda lib: lib.tensor([1, 2]).sum(),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(),
    lambda lib: lib.tensor([1.0, 2.0]).mean(),
    lambda lib: lib.tensor([[1, 2]]).float(),
    lambda lib: lib.tensor([[1.7, -2.7]]).long(),
    lambda lib: lib.tensor([[1.7, -2.7]]).int(),
    lambda lib: lib.tensor(3),
    lambda lib: lib.tensor(3.0),
    lambda lib: lib.tensor(True),
    lambda lib: lib.tensor([1, 2.5]),
    lambda lib: lib.tensor(np.array([1, 2], dtype=np.int32)),
    lambda lib: lib.tensor(np.array([1.0], dtype=np.float64)),
    lambda lib: lib.from_numpy(np.array([1.0], dtype=np.float64)),
    lambda lib: lib.zeros(2, 3),
    lambda lib: lib.ones((2,)),
    lambda lib: lib.empty(2).fill_(1),
    lambda lib: lib.full((2,), 3),
    lambda lib: lib.full((2,), 3.0),
    lambda lib: lib.full((2,), True),
    lambda lib: lib.arange(5),
    lambda lib: lib.arange(0, 1, 0.25),
    lambda lib: lib.arange(5.0),
    lambda lib: lib.linspace(0, 1, 5),
    lambda lib: lib.eye(3),
    lambda lib: lib.zeros_like(lib.tensor([1, 2])),
    lambda lib: lib.ones_like(lib.tensor([1.0], dtype=lib.float64)),
    lambda lib: lib.full_like(lib.tensor([1, 2]), 7),
    lambda lib: lib.randint(0, 5, (3,)) * 0,
    lambda lib: lib.randn(2, 2) * 0,
    lambda lib: lib.rand(2) * 0,
    lambda lib: lib.randperm(4).sort()[0],
    lambda lib: lib.tensor([1.0, 2.0]).new_zeros(2),
    lambda lib: lib.tensor([1, 2]).new_ones((1, 2)),
    lambda lib: lib.tensor([1.0, 2.0]).new_tensor([1, 2]),
    lambda lib: lib.tensor([1.0, 2.0]).new_full((2,), 4),
    lambda lib: lib.tensor([-1.5, 2.5]).round(),
    lambda lib: lib.tensor([-1.5, 2.5]).abs(),
    lambda lib: lib.tensor([-1, 2]).abs(),
    lambda lib: lib.tensor([4, 9]).sqrt(),
    lambda lib: lib.tensor([1, 2]).exp(),
    lambda lib: lib.tensor([1, 2]).sigmoid(),
    lambda lib: lib.tensor([[1, 2]]).max(),
    lambda lib: lib.tensor([[1, 2]]).argmax(),
    lambda lib: lib.tensor([1, 2]).clamp(min=1.5),
    lambda lib: lib.maximum(lib.tensor([1, 2]), lib.tensor([1.5, 0.5])),
    lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), 0.5),
    lambda lib: lib.cat([lib.tensor([1]), lib.tensor([2.0])]),
    lambda lib: lib.tensor([1, 2]).float().mean(),
    lambda lib: lib.tensor([3.0, 1.0]).std(),
    lambda lib: lib.tensor([1, 2]) @ lib.tensor([3, 4]),
    lambda lib: lib.tensor([[1, 2]]).t() * lib.tensor(2.5),
    lambda lib: lib.tensor([1, 2]) * lib.tensor(2.5, dtype=lib.float64),
    lambda lib: lib.tensor([1.0, 2.0]) * np.float64(2.0),
    lambda lib: lib.tensor([1, 2]).to(lib.float64) + lib.tensor([1.0]),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 1])),
    lambda lib: lib.tensor([[0.2, 0.8]]).softmax(-1).argmax(1),
]


@pytest.mark.parametrize("case", range(len(DTYPE_CASES)))
def test_dtype_rules_and_values(case):
    tr, fr = DTYPE_CASES[case](torch), DTYPE_CASES[case](fastnn)
    same_dtype(tr, fr)
    assert tuple(tr.shape) == tuple(fr.shape)
    close(tr, fr, rtol=1e-6, atol=0)
    tl, fl = tr.tolist(), fr.tolist()
    assert type(tl) is type(fl)
    np.testing.assert_allclose(np.asarray(fl, dtype=float), np.asarray(tl, dtype=float), rtol=1e-6)
    flat_t, flat_f = np.asarray(tl, dtype=object).ravel(), np.asarray(fl, dtype=object).ravel()
    assert [type(v) for v in flat_t] == [type(v) for v in flat_f]


def test_default_dtype_switch():
    for lib in LIBS:
        lib.set_default_dtype(lib.float64)
        try:
            assert str(lib.zeros(1).dtype).endswith("float64")
            assert str(lib.tensor([1.5]).dtype).endswith("float64")
            assert str(lib.arange(0.0, 1.0, 0.5).dtype).endswith("float64")
            assert str(lib.tensor([1, 2]).dtype).endswith("int64")
            assert str((lib.tensor([1, 2]) / 2).dtype).endswith("float64")
            assert str(lib.nn.Linear(2, 2).weight.dtype).endswith("float64")
        finally:
            lib.set_default_dtype(lib.float32)


def test_scalar_conversions():
    for lib in LIBS:
        t = lib.tensor([[1.5, 2.0]])
        assert isinstance(t[0, 0].item(), float) and t[0, 0].item() == 1.5
        assert isinstance(lib.tensor([3]).item(), int)
        assert isinstance(lib.tensor(True).item(), bool)
        assert t.tolist() == [[1.5, 2.0]]
        assert lib.tensor(2.5).tolist() == 2.5
        assert float(t[0, 1]) == 2.0 and int(lib.tensor([7])) == 7
        n = t.numpy()
        n[0, 0] = 9.0  # numpy() shares memory
        assert t[0, 0].item() == 9.0
        assert n.dtype == np.float32
        with pytest.raises(RuntimeError):
            lib.tensor([1.0], requires_grad=True).numpy()
        with pytest.raises((ValueError, RuntimeError)):
            lib.tensor([1.0, 2.0]).item()
        assert len(lib.zeros(3, 2)) == 3
        assert lib.zeros(3, 2).size() == (3, 2) and lib.zeros(3, 2).size(1) == 2
        assert lib.zeros(3, 2).shape[0] == 3 and lib.zeros(2, 3).numel() == 6
        assert lib.zeros(2, 3).dim() == 2 and lib.zeros(2, 3).ndim == 2


# --------------------------------------------------------------------------------------
# module structure: repr, state_dict, named_parameters
# --------------------------------------------------------------------------------------
STRUCTURE = {"mlp": mlp, "lenet": lenet, "bn_cnn": bn_cnn, "lstm": lstm_classifier,
             "gru": gru_model, "transformer": transformer_block,
             "layers": lambda lib: lib.nn.Sequential(
                 lib.nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, dilation=2, groups=1),
                 lib.nn.Conv2d(4, 4, 3, padding="same", groups=2, bias=False),
                 lib.nn.Conv1d(4, 2, 3, padding_mode="reflect", padding=1),
                 lib.nn.MaxPool2d(3, stride=2, padding=1), lib.nn.AvgPool2d(2),
                 lib.nn.AdaptiveAvgPool2d((1, 1)), lib.nn.BatchNorm1d(4, momentum=0.2, affine=False),
                 lib.nn.LayerNorm([4, 5], elementwise_affine=False),
                 lib.nn.LeakyReLU(0.2), lib.nn.ELU(), lib.nn.Softmax(dim=1), lib.nn.LogSoftmax(1),
                 lib.nn.Dropout(p=0.25), lib.nn.Embedding(5, 2, padding_idx=1),
                 lib.nn.Flatten(), lib.nn.Unflatten(1, (2, 2)), lib.nn.Identity(),
                 lib.nn.RNN(3, 4, nonlinearity="relu"), lib.nn.LSTM(2, 3, batch_first=True),
                 lib.nn.GRU(2, 3, bias=False, dropout=0.0), lib.nn.Hardtanh(-2, 2),
                 lib.nn.GELU(approximate="tanh"), lib.nn.Softplus(beta=2), lib.nn.CrossEntropyLoss(),
                 lib.nn.ModuleList([lib.nn.Linear(1, 1, bias=False)]),
                 lib.nn.ModuleDict({"a": lib.nn.Tanh(), "b": lib.nn.Sigmoid()}))}


@pytest.mark.parametrize("name", sorted(STRUCTURE))
def test_repr_state_dict_and_parameter_order(name):
    tm, fm = STRUCTURE[name](torch), STRUCTURE[name](fastnn)
    assert repr(fm) == repr(tm)
    tsd, fsd = tm.state_dict(), fm.state_dict()
    assert list(fsd) == list(tsd)
    for k in tsd:
        assert tuple(fsd[k].shape) == tuple(tsd[k].shape), k
        same_dtype(tsd[k], fsd[k])
    assert [(n, tuple(p.shape)) for n, p in fm.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert [n for n, _ in fm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in fm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert all(p.requires_grad for p in fm.parameters())
    assert sum(p.numel() for p in fm.parameters()) == sum(p.numel() for p in tm.parameters())


def test_parameter_repr_and_module_apis():
    for lib in LIBS:
        lin = lib.nn.Linear(3, 2)
        assert isinstance(lin.weight, lib.nn.Parameter) and lin.weight.is_leaf
        assert lin.weight.requires_grad and repr(lin.weight).startswith("Parameter containing:")
        sd = lin.state_dict()
        assert not sd["weight"].requires_grad
        lin.eval()
        assert not lin.training
        assert lin.train() is lin and lin.training


# --------------------------------------------------------------------------------------
# nn.init with fixed inputs
# --------------------------------------------------------------------------------------
def test_init_deterministic_functions():
    for gain_args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                      ("leaky_relu",), ("leaky_relu", 0.2), ("selu",)]:
        assert fastnn.nn.init.calculate_gain(*gain_args) == pytest.approx(
            torch.nn.init.calculate_gain(*gain_args), rel=1e-12)
    for shape in [(4, 3), (6, 3, 5, 2), (5, 2, 3)]:
        tt, ft = torch.empty(*shape), fastnn.empty(*shape)
        assert fastnn.nn.init._calculate_fan_in_and_fan_out(ft) == \
            torch.nn.init._calculate_fan_in_and_fan_out(tt)
        for fn, args in [("constant_", (0.3,)), ("ones_", ()), ("zeros_", ())]:
            close(getattr(torch.nn.init, fn)(tt, *args), getattr(fastnn.nn.init, fn)(ft, *args))
    tt, ft = torch.empty(3, 5), fastnn.empty(3, 5)
    close(torch.nn.init.eye_(tt), fastnn.nn.init.eye_(ft))
    for groups in (1, 2):
        tt, ft = torch.empty(4, 2, 3, 3), fastnn.empty(4, 2, 3, 3)
        close(torch.nn.init.dirac_(tt, groups), fastnn.nn.init.dirac_(ft, groups))


@pytest.mark.parametrize("fn,kw,expected_std", [
    ("kaiming_uniform_", dict(a=math.sqrt(5)), 1 / math.sqrt(3 * 400)),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 300)),
    ("xavier_uniform_", dict(gain=2.0), 2 * math.sqrt(2 / 700)),
    ("xavier_normal_", dict(), math.sqrt(2 / 700)),
    ("orthogonal_", dict(), None),
    ("trunc_normal_", dict(std=0.02), None),
])
def test_init_distributions(fn, kw, expected_std):
    """Random draws differ between libraries; their scale and bounds must not."""
    fastnn.manual_seed(0)
    w = getattr(fastnn.nn.init, fn)(fastnn.empty(300, 400), **kw)
    assert w.requires_grad is False and tuple(w.shape) == (300, 400)
    a = w.numpy()
    if expected_std is not None:
        assert a.std() == pytest.approx(expected_std, rel=0.02)
    if fn == "orthogonal_":
        np.testing.assert_allclose(a @ a.T, np.eye(300), atol=1e-4)
    if fn == "trunc_normal_":
        assert a.min() >= -2 and a.max() <= 2 and a.std() == pytest.approx(0.02, rel=0.03)
    if fn.endswith("uniform_"):
        bound = expected_std * math.sqrt(3)
        assert np.abs(a).max() <= bound + 1e-7 and np.abs(a).max() > 0.99 * bound


# --------------------------------------------------------------------------------------
# autograd semantics
# --------------------------------------------------------------------------------------
def test_autograd_semantics():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
        with lib.no_grad():
            z = x * 2
        assert not z.requires_grad and z.grad_fn is None
        assert not x.detach().requires_grad
        d = x.data
        assert not d.requires_grad and d.is_leaf
        d[0] = 10.0  # .data shares memory
        assert x[0].item() == 10.0
        y.retain_grad()
        w = (y * y).sum()
        w.backward()
        close(y.grad, 2 * y.detach(), rtol=0, atol=0)
        close(x.grad, 4 * y.detach(), rtol=0, atol=0)  # y was taken before x[0] changed
        v = x * 3
        v.backward(gradient=lib.tensor([1.0, 0.5, 0.0]))
        close(x.grad, 4 * y.detach() + lib.tensor([3.0, 1.5, 0.0]), rtol=0, atol=0)
        assert lib.tensor([1, 2]).requires_grad is False
        assert (lib.ones(3) + x).requires_grad
        with pytest.raises(RuntimeError):
            lib.ones(2).sum().backward()
        with pytest.raises(RuntimeError):
            (x * 2).backward()
        with pytest.raises(RuntimeError):
            lib.tensor([1, 2], requires_grad=True)
        with lib.no_grad():
            x -= 0.5 * x.grad  # a parameter update in place under no_grad
        assert x.is_leaf and x.requires_grad
        q = lib.tensor([2.0], requires_grad=True)
        (q ** 2).sum().backward(retain_graph=True) if lib is torch else (q ** 2).sum().backward()
        assert q.grad.item() == 4.0
        assert lib.is_grad_enabled()
        with lib.set_grad_enabled(False):
            assert not lib.is_grad_enabled()
        x.grad = None
        x.requires_grad_(False)
        assert not (x * 2).requires_grad


def test_parameter_update_via_data_and_grad_zero():
    res = {}
    for lib in LIBS:
        torch.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        m.load_state_dict({"weight": lib.tensor(np.arange(6.0).reshape(2, 3) / 10),
                           "bias": lib.tensor([0.1, -0.1])})
        for _ in range(2):
            out = m(lib.tensor([[1.0, 2.0, 3.0]])).sum()
            out.backward()
            for p in m.parameters():
                p.data -= 0.1 * p.grad.data
                p.grad.zero_()
        res[lib.__name__] = [p for p in m.parameters()]
    for a, b in zip(res["torch"], res["fastnn"]):
        close(a, b, rtol=1e-6)


@pytest.mark.parametrize("kw", [dict(total_steps=10), dict(epochs=2, steps_per_epoch=6,
                                                           anneal_strategy="linear"),
                                dict(total_steps=12, three_phase=True, pct_start=0.25)])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_one_cycle_lr_schedule_and_momentum(kw, opt):
    seqs = {}
    for lib in LIBS:
        p = lib.nn.Parameter(lib.ones(2))
        o = lib.optim.SGD([p], lr=0.1, momentum=0.9) if opt == "sgd" else lib.optim.Adam([p])
        s = lib.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, **kw)
        seq = []
        for _ in range(kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]):
            p.grad = lib.ones(2)
            o.step()
            g = o.param_groups[0]
            seq.append((g["lr"], g["momentum"] if opt == "sgd" else g["betas"][0]))
            seq.append(tuple(npy(p)))
            if len(seq) < 2 * (kw.get("total_steps") or 12):
                s.step()
        seqs[lib.__name__] = seq
    np.testing.assert_allclose(np.array(seqs["fastnn"], dtype=np.float64),
                               np.array(seqs["torch"], dtype=np.float64), rtol=1e-6)
