"""The models of examples/ export, and onnxruntime runs them as fastnn does at
another batch size: a character LSTM with its state, GRU/LSTM forecasters, the
PyTorch LeNet, the GAN's two networks."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import fastnn  # noqa: E402

from test_onnx_export import check_export  # noqa: E402
from _roundtrip_models import example as _example  # noqa: E402


def test_char_lstm_with_state():
    fastnn.manual_seed(0)
    model = _example("char_lstm.py")["CharModel"](vocab=11, hidden=8, num_layers=2)
    idx = fastnn.tensor(np.random.default_rng(0).integers(0, 11, (2, 5)))
    other = fastnn.tensor(np.random.default_rng(1).integers(0, 11, (3, 5)))
    check_export(model, idx, batch_axes=[0], other=other)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_sine_forecaster(cell):
    fastnn.manual_seed(0)
    model = _example("sine_forecast.py")["Forecaster"](hidden=6, horizon=3, cell=cell)
    check_export(model, fastnn.randn(2, 10, 1), batch_axes=[0], other=fastnn.randn(4, 10, 1))


def test_lenet():
    fastnn.manual_seed(0)
    model = _example("lenet_digits.py")["Net"]()
    check_export(model, fastnn.randn(2, 1, 32, 32), batch_axes=[0],
                 other=fastnn.randn(3, 1, 32, 32))


def test_gan_networks():
    fastnn.manual_seed(0)
    ns = _example("gan_digits.py")
    generator, discriminator = ns["build"]()
    noise = ns["NOISE"]
    check_export(generator, fastnn.randn(2, noise), batch_axes=[0], other=fastnn.randn(5, noise))
    check_export(discriminator, fastnn.randn(2, 64), batch_axes=[0], other=fastnn.randn(5, 64))
