"""Operators the importer composes from fastnn ops (ConvTranspose, pools with
ONNX padding rules, LRN, Erf, LayerNormalization with its extra outputs):
values against torch / onnxruntime, gradients against torch or finite
differences."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

import fastnn  # noqa: E402
import fastnn.onnx  # noqa: E402
from fastnn.autograd.gradcheck import gradcheck  # noqa: E402

from _build import model, ort_run, fastnn_run  # noqa: E402

R = np.random.default_rng(3)

_CT = [  # (in shape, weight shape, attrs)
    ((2, 4, 5, 6), (4, 3, 3, 3), dict(strides=[2, 2], pads=[1, 1, 1, 1])),
    ((1, 4, 4, 5), (4, 2, 3, 2), dict(strides=[2, 3], pads=[0, 1, 1, 0], output_padding=[1, 1],
                                      dilations=[2, 1], group=2)),
    ((2, 3, 7), (3, 2, 4), dict(strides=[3], pads=[2, 1])),
    ((1, 2, 4, 4), (2, 3, 3, 3), dict(strides=[2, 2], output_shape=[9, 10])),
    ((1, 2, 4, 4), (2, 3, 3, 3), dict(strides=[2, 2], auto_pad="SAME_UPPER")),
]


@pytest.mark.parametrize("xs,ws,attrs", _CT, ids=[str(i) for i in range(len(_CT))])
def test_conv_transpose_matches_onnxruntime(xs, ws, attrs):
    pytest.importorskip("onnxruntime")
    x = R.standard_normal(xs).astype(np.float32)
    inits = {"w": R.standard_normal(ws).astype(np.float32),
             "b": R.standard_normal(ws[1] * attrs.get("group", 1)).astype(np.float32)}
    m = model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)], {"x": x},
              ["y"], 17, inits)
    want, = ort_run(m, {"x": x})
    got, = fastnn_run(m, {"x": x})
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_conv_transpose_gradients_match_torch():
    torch = pytest.importorskip("torch")
    x = R.standard_normal((2, 4, 5, 5))
    w = R.standard_normal((4, 3, 3, 2))
    b = R.standard_normal(6)
    attrs = dict(strides=[2, 1], pads=[1, 0, 1, 0], output_padding=[1, 0], dilations=[1, 2],
                 group=2)
    m = model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)],
              {"x": x}, ["y"], 17, {"w": w, "b": b})
    mod = fastnn.onnx.load(m)
    xf = fastnn.tensor(x, requires_grad=True)
    yf = mod(xf)
    g = R.standard_normal(tuple(yf.shape))
    (yf * fastnn.tensor(g)).sum().backward()
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv_transpose2d(xt, wt, bt, stride=(2, 1), padding=(1, 0),
                                              output_padding=(1, 0), groups=2, dilation=(1, 2))
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(yf.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mod.w.grad.numpy(), wt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mod.b.grad.numpy(), bt.grad.numpy(), rtol=1e-10, atol=1e-10)


_POOLS = [
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[0, 1, 2, 1], ceil_mode=1)),
    ("MaxPool", dict(kernel_shape=[2, 3], dilations=[2, 1], auto_pad="SAME_LOWER")),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 2], ceil_mode=1,
                         count_include_pad=1)),
    ("AveragePool", dict(kernel_shape=[3, 2], strides=[2, 1], pads=[1, 1, 1, 1],
                         count_include_pad=0, dilations=[2, 1])),
    ("AveragePool", dict(kernel_shape=[3], strides=[2], pads=[2, 1])),
]


@pytest.mark.parametrize("op,attrs", _POOLS, ids=[f"{o}-{i}" for i, (o, _) in enumerate(_POOLS)])
def test_pools_match_onnxruntime_and_have_gradients(op, attrs):
    pytest.importorskip("onnxruntime")
    shape = (2, 3, 7) if len(attrs["kernel_shape"]) == 1 else (2, 3, 7, 8)
    x = R.standard_normal(shape)
    m = model([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": x.astype(np.float32)},
              ["y"], 19)
    if "dilations" in attrs and "auto_pad" in attrs:
        # onnxruntime leaves the dilation out of SAME padding (an output of 6, not
        # ceil(7 / 1)); ONNX's reference evaluator follows the spec, as fastnn does
        from onnx.reference import ReferenceEvaluator
        want, = ReferenceEvaluator(m).run(None, {"x": x.astype(np.float32)})
    else:
        want, = ort_run(m, {"x": x.astype(np.float32)})
    got, = fastnn_run(m, {"x": x.astype(np.float32)})
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    mod = fastnn.onnx.load(model([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": x}, ["y"],
                                 19))
    assert gradcheck(lambda t: mod(t), (fastnn.tensor(x, requires_grad=True),))


def test_maxpool_indices_match_onnxruntime():
    pytest.importorskip("onnxruntime")
    x = R.standard_normal((2, 3, 6, 7)).astype(np.float32)
    for order in (0, 1):
        node = helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 2],
                                strides=[2, 2], pads=[1, 0, 1, 1], storage_order=order)
        m = model([node], {"x": x}, ["y", "i"], 12)
        for g, w in zip(fastnn_run(m, {"x": x}), ort_run(m, {"x": x})):
            np.testing.assert_array_equal(g, w)


def _lrn(x, size):
    return model([helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.3, beta=0.6,
                                   bias=1.5)], {"x": x}, ["y"], 13)


def test_lrn_matches_torch_and_onnxruntime_and_has_gradients():
    torch = pytest.importorskip("torch")
    x = R.standard_normal((2, 7, 3, 3))
    # odd sizes: the same window as torch; even sizes put the extra channel after
    # (ONNX) where torch puts it before, and onnxruntime refuses them (and ONNX's
    # reference evaluator loops over the batch instead of the channels): those go
    # to the spec's formula written out here
    mod = fastnn.onnx.load(_lrn(x, 5))
    want = torch.nn.LocalResponseNorm(5, 0.3, 0.6, 1.5)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(mod(x).numpy(), want, rtol=1e-6)
    assert gradcheck(lambda t: mod(t), (fastnn.tensor(x, requires_grad=True),))
    m = _lrn(x, 4)
    sq = np.zeros_like(x)
    for c in range(x.shape[1]):  # channels c - floor((size-1)/2) .. c + ceil((size-1)/2)
        sq[:, c] = (x[:, max(0, c - 1):min(x.shape[1], c + 3)] ** 2).sum(1)
    # (ONNX stores the float attributes as float32: 0.3 is 0.30000001...)
    np.testing.assert_allclose(fastnn_run(m, {"x": x})[0], x / (1.5 + 0.3 / 4 * sq) ** 0.6,
                               rtol=1e-6)
    x32 = x.astype(np.float32)
    m = _lrn(x32, 5)
    np.testing.assert_allclose(fastnn_run(m, {"x": x32})[0], ort_run(m, {"x": x32})[0],
                               rtol=1e-5, atol=1e-6)


def test_erf_and_layernorm_outputs_have_gradients():
    x = R.standard_normal((3, 4, 5))
    m = model([helper.make_node("Erf", ["x"], ["e"]),
               helper.make_node("LayerNormalization", ["e", "s", "b"], ["y", "mu", "inv"],
                                axis=1, epsilon=1e-3)],
              {"x": x}, ["y", "mu", "inv"], 17,
              {"s": R.standard_normal((4, 5)), "b": R.standard_normal(5)})
    mod = fastnn.onnx.load(m)
    for k in range(3):
        assert gradcheck(lambda t: mod(t)[k], (fastnn.tensor(x, requires_grad=True),))
    if pytest.importorskip("onnxruntime"):
        x32 = x.astype(np.float32)
        m32 = model(list(m.graph.node), {"x": x32}, ["y", "mu", "inv"], 17,
                    {"s": R.standard_normal((4, 5)).astype(np.float32),
                     "b": R.standard_normal(5).astype(np.float32)})
        for g, w in zip(fastnn_run(m32, {"x": x32}), ort_run(m32, {"x": x32})):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


# --- 3-D: convolution through per-depth 2-D convolutions, pools through strided views ------
def test_conv3d_and_conv_transpose3d_match_torch_with_gradients():
    torch = pytest.importorskip("torch")
    x = R.standard_normal((2, 4, 5, 6, 5))
    w = R.standard_normal((6, 2, 3, 2, 3))
    wt_ = R.standard_normal((4, 3, 2, 3, 2))
    b = R.standard_normal(6)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], strides=[2, 1, 2],
                              pads=[1, 0, 2, 1, 1, 0], dilations=[1, 2, 1], group=2),
             helper.make_node("ConvTranspose", ["x", "wt"], ["t"], strides=[2, 1, 3],
                              pads=[0, 1, 1, 1, 0, 0], group=2, output_padding=[1, 0, 2])]
    m = model(nodes, {"x": x}, ["c", "t"], 17, {"w": w, "wt": wt_, "b": b})
    mod = fastnn.onnx.load(m)
    xf = fastnn.tensor(x, requires_grad=True)
    c, t = mod(xf)
    (c.sum() + (t * t).sum()).backward()
    xt = torch.tensor(x, requires_grad=True)
    wt, wtt, bt = (torch.tensor(a, requires_grad=True) for a in (w, wt_, b))
    ct = torch.nn.functional.conv3d(torch.nn.functional.pad(xt, (2, 0, 0, 1, 1, 1)), wt, bt,
                                    stride=(2, 1, 2), padding=(0, 0, 0), dilation=(1, 2, 1),
                                    groups=2)
    # ONNX pads (begin d,h,w | end d,h,w) = (0,1,1 | 1,0,0): crop the full output
    tt = torch.nn.functional.conv_transpose3d(xt, wtt, stride=(2, 1, 3), groups=2,
                                              output_padding=(1, 0, 2))
    tt = tt[:, :, 0:tt.shape[2] - 1, 1:, 1:]
    (ct.sum() + (tt * tt).sum()).backward()
    np.testing.assert_allclose(c.detach().numpy(), ct.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(t.detach().numpy(), tt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(mod.w.grad.numpy(), wt.grad.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(mod.wt.grad.numpy(), wtt.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("op,attrs", [
    ("MaxPool", dict(kernel_shape=[2, 3, 2], strides=[2, 2, 1], pads=[1, 0, 1, 0, 1, 1],
                     ceil_mode=1)),
    ("AveragePool", dict(kernel_shape=[3, 2, 2], strides=[1, 2, 2], pads=[1, 1, 0, 1, 0, 1],
                         count_include_pad=1)),
    ("AveragePool", dict(kernel_shape=[2, 2, 2], dilations=[2, 1, 1], pads=[1, 0, 0, 1, 0, 0])),
], ids=["max", "avg-include-pad", "avg-dilated"])
def test_pool3d_matches_onnxruntime_and_has_gradients(op, attrs):
    pytest.importorskip("onnxruntime")
    x = R.standard_normal((1, 2, 5, 6, 4))
    x32 = x.astype(np.float32)
    outs = ["y", "i"] if op == "MaxPool" else ["y"]
    m = model([helper.make_node(op, ["x"], outs, **attrs)], {"x": x32}, outs, 19)
    for g, w in zip(fastnn_run(m, {"x": x32}), ort_run(m, {"x": x32})):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    mod = fastnn.onnx.load(model([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": x}, ["y"],
                                 19))
    assert gradcheck(lambda t: mod(t), (fastnn.tensor(x, requires_grad=True),))


# --- Resize / Upsample, as PyTorch exports nn.Upsample --------------------------------------
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False),
                                        ("bilinear", True), ("bicubic", False)])
@pytest.mark.parametrize("opset", [9, 11, 13])
def test_upsample_exports_match_torch_with_gradients(mode, align, opset):
    torch = pytest.importorskip("torch")
    if opset == 9 and (align or mode == "bicubic"):
        pytest.skip("PyTorch's opset-9 exporter has no align_corners or bicubic")
    from _torch_models import export
    up = torch.nn.Upsample(scale_factor=2, mode=mode, align_corners=align)
    m = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), up).eval()
    x = torch.randn(2, 2, 5, 4)
    mod = fastnn.onnx.load(export(m, x, opset))
    assert any(n[0].op_type in ("Resize", "Upsample") for n in mod._nodes)
    xt = x.clone().requires_grad_()
    yt = m(xt)
    g = torch.randn(yt.shape)
    (yt * g).sum().backward()
    xf = fastnn.tensor(x.numpy(), requires_grad=True)
    yf = mod(xf)
    (yf * fastnn.tensor(g.numpy())).sum().backward()
    if opset == 9 and mode == "bilinear":
        # ONNX's Upsample-9 interpolates with asymmetric coordinates, so this
        # export does not reproduce PyTorch (its exporter warns): onnxruntime decides
        pytest.importorskip("onnxruntime")
        want, = ort_run(onnx.load_model_from_string(export(m, x, opset)), {"x": x.numpy()})
        np.testing.assert_allclose(yf.detach().numpy(), want, rtol=1e-4, atol=1e-5)
        return
    np.testing.assert_allclose(yf.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xf.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_resize_refuses_what_it_does_not_implement():
    for attrs in (dict(mode="area"), dict(mode="linear", antialias=1),
                  dict(coordinate_transformation_mode="tf_crop_and_resize")):
        node = helper.make_node("Resize", ["x", "", "s"], ["y"], **attrs)
        m = model([node], {"x": np.zeros((1, 1, 2, 2), np.float32)}, ["y"], 19,
                  {"s": np.array([1, 1, 2, 2], np.float32)})
        with pytest.raises(NotImplementedError, match=r"node 0 .*\(Resize\)"):
            fastnn.onnx.load(m)


def test_sequence_values_are_refused_at_load():
    from onnx import TensorProto
    seq = helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, None)
    g = helper.make_graph([helper.make_node("Identity", ["s"], ["t"])], "g", [seq],
                          [helper.make_tensor_sequence_value_info("t", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(NotImplementedError, match="'s' has type 'sequence'"):
        fastnn.onnx.load(m)
