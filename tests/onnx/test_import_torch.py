"""PyTorch models with the layer patterns of ResNet, DenseNet, Inception,
SqueezeNet, ShuffleNet, VGG and AlexNet, exported by torch.onnx.export (the
TorchScript exporter) at opsets 9 to 17, imported with fastnn.onnx.load: they
match onnxruntime and torch to 2e-3 relative, and an imported model fine-tunes
(gradients equal torch's on the same weights, SGD lowers the loss)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

import fastnn  # noqa: E402
import fastnn.onnx  # noqa: E402
from fastnn import nn, optim  # noqa: E402
from fastnn.nn import functional as F  # noqa: E402

from _torch_models import ARCHITECTURES, build, export  # noqa: E402

CASES = [(name, opset) for name, (_, _, opsets) in ARCHITECTURES.items() for opset in opsets]


def _rel(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("name,opset", CASES, ids=[f"{n}-opset{o}" for n, o in CASES])
def test_architecture_matches_onnxruntime_and_torch(name, opset):
    model, x = build(name)
    data = export(model, x, opset)
    with torch.no_grad():
        want = model(x).numpy()
    mod = fastnn.onnx.load(data)
    with fastnn.no_grad():
        got = mod(x.numpy()).numpy()
    assert got.shape == want.shape
    assert _rel(got, want) < 2e-3
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    assert _rel(got, sess.run(None, {"x": x.numpy()})[0]) < 2e-3


def _resnet_unfolded():
    # batch norms kept as nodes (no constant folding): their weights stay
    # Parameters named as in torch, their statistics become buffers
    model, x = build("resnet")
    data = export(model, x, 13, do_constant_folding=False,
                  training=torch.onnx.TrainingMode.PRESERVE)
    return model, x, fastnn.onnx.load(data)


def test_state_dict_keys_match_torch():
    model, x, mod = _resnet_unfolded()
    ours = mod.state_dict()
    theirs = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert set(ours) == set(theirs)
    for k, v in theirs.items():
        np.testing.assert_array_equal(ours[k].numpy(), v.numpy(), err_msg=k)
    params = {k for k, _ in mod.named_parameters()}
    assert params == {k for k, _ in model.named_parameters()}


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_gradients_match_torch_on_the_same_weights(train):
    model, x, mod = _resnet_unfolded()
    model.train(train)
    mod.train(train)
    y = torch.tensor([1, 3])
    loss_t = torch.nn.functional.cross_entropy(model(x), y)
    loss_t.backward()
    loss_f = F.cross_entropy(mod(fastnn.tensor(x.numpy())), fastnn.tensor(y.numpy()))
    loss_f.backward()
    assert abs(loss_f.item() - loss_t.item()) < 1e-4 * max(1.0, abs(loss_t.item()))
    grads = dict(mod.named_parameters())
    for k, p in model.named_parameters():
        g, want = grads[k].grad.numpy(), p.grad.numpy()
        np.testing.assert_allclose(g, want, rtol=2e-3, atol=2e-5 * max(np.abs(want).max(), 1e-3),
                                   err_msg=k)
    if train:  # the running statistics moved the way torch's did
        buffers = dict(mod.named_buffers())
        for k, b in model.named_buffers():
            if k.endswith("running_mean") or k.endswith("running_var"):
                np.testing.assert_allclose(buffers[k].numpy(), b.numpy(), rtol=1e-4, atol=1e-6,
                                           err_msg=k)


def test_imported_model_fine_tunes():
    model, x, mod = _resnet_unfolded()
    rng = np.random.default_rng(0)
    # the graph is fully convolutional up to a global pool: smaller images run too
    xs = fastnn.tensor(rng.standard_normal((8, 3, 16, 16)).astype(np.float32))
    ys = fastnn.tensor(rng.integers(0, 10, 8))
    mod.train()
    opt = optim.SGD(mod.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(6):
        opt.zero_grad()
        loss = F.cross_entropy(mod(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    assert isinstance(mod, nn.Module)


def test_reference_backend_runs_the_imported_model_too():
    # every op the importer uses goes through fastnn's backends, so the NumPy
    # reference kernels compute the same imported model
    model, x = build("shufflenet")
    mod = fastnn.onnx.load(export(model, x, 13))
    with fastnn.no_grad():
        native = mod(x.numpy()).numpy()
        with fastnn.use_backend("numpy"):
            ref = mod(x.numpy()).numpy()
    np.testing.assert_allclose(ref, native, rtol=1e-4, atol=1e-5 * np.abs(native).max())


@pytest.mark.slow
@pytest.mark.parametrize("which", ["vgg", "lstm"])
def test_dynamo_exporter_models_import(which):
    # torch.onnx.export(dynamo=True): opset 18+, the exporter PyTorch now defaults to
    pytest.importorskip("onnxscript")
    import logging
    import warnings
    if which == "lstm":
        torch.manual_seed(0)
        model = torch.nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True).eval()
        x = torch.randn(3, 6, 4)
    else:
        model, x = build(which)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            proto = torch.onnx.export(model, (x,), dynamo=True).model_proto
        finally:
            logging.disable(logging.NOTSET)
    mod = fastnn.onnx.load(proto)
    with torch.no_grad():
        want = model(x)
    want = (want[0] if isinstance(want, tuple) else want).numpy()
    with fastnn.no_grad():
        got = mod(x.numpy())
    got = (got[0] if isinstance(got, tuple) else got).numpy()
    assert _rel(got, want) < 2e-3
