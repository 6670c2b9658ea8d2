"""Real ImageNet architectures stored as ONNX by another tool (onnx-caffe2, opset
9, initializers among the graph inputs) import and match onnxruntime to 2e-3
relative. The models ship inside the onnx package (tests/onnx/_zoo.py). The
three with large fully-connected layers (AlexNet, VGG-19, ZFNet-512: 60-140 M
weights, ~15 s each with the reference run) run only with
FASTNN_TEST_BIG_ONNX=1; the other six run always."""
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import fastnn  # noqa: E402
import fastnn.onnx  # noqa: E402

from _zoo import LIGHT_MODELS, light_path, randomized, image_input  # noqa: E402
from _build import ort_run  # noqa: E402

_BIG = {"bvlc_alexnet", "vgg19", "zfnet512"}
_big = [pytest.mark.slow, pytest.mark.skipif(
    os.environ.get("FASTNN_TEST_BIG_ONNX") != "1",
    reason="hundreds of MB of weights; set FASTNN_TEST_BIG_ONNX=1 to run")]


@pytest.mark.parametrize("name", [pytest.param(n, marks=_big) if n in _BIG else n
                                  for n in LIGHT_MODELS])
def test_light_model_matches_onnxruntime(name):
    if not os.path.exists(light_path(name)):
        pytest.skip(f"this onnx release does not ship light_{name}.onnx")
    m = randomized(onnx.load(light_path(name)))
    iname, x = image_input(m)
    mod = fastnn.onnx.load(m)
    with fastnn.no_grad():
        got = mod(x).numpy()
    want = ort_run(m, {iname: x})[0]
    assert got.shape == want.shape
    scale = np.abs(want).max()
    assert scale > 0 and want.std() > 1e-3 * scale  # random weights: a non-degenerate output
    assert np.abs(got - want).max() <= 2e-3 * scale


def test_light_models_are_what_they_claim():
    # the files are the old style: opset 9, every initializer also a graph input
    if not os.path.exists(light_path("resnet50")):
        pytest.skip("this onnx release does not ship the light models")
    m = onnx.load(light_path("resnet50"))
    assert m.opset_import[0].version == 9
    names = {t.name for t in m.graph.initializer}
    assert names <= {v.name for v in m.graph.input}
    mod = fastnn.onnx.load(m)
    assert len(mod.input_names) == 1
