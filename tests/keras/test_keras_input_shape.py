"""Every Keras layer takes ``input_shape=`` as its first-layer declaration (Keras 2
style, still accepted by Keras 3's Sequential), not only Dense and Conv2D."""
import numpy as np
import pytest

from fastnn.keras import Sequential, layers

CASES = [
    (lambda: layers.Embedding(10, 4, input_shape=(5,)), np.zeros((3, 5), np.int64), (3, 5, 4)),
    (lambda: layers.Rescaling(1 / 255.0, input_shape=(4,)), np.ones((2, 4), np.float32), (2, 4)),
    (lambda: layers.Bidirectional(layers.LSTM(3), input_shape=(6, 2)), np.ones((2, 6, 2), np.float32),
     (2, 6)),
    (lambda: layers.TimeDistributed(layers.Dense(3), input_shape=(6, 2)), np.ones((2, 6, 2), np.float32),
     (2, 6, 3)),
    (lambda: layers.LSTM(3, input_shape=(6, 2)), np.ones((2, 6, 2), np.float32), (2, 3)),
    (lambda: layers.BatchNormalization(input_shape=(4,)), np.ones((2, 4), np.float32), (2, 4)),
]


@pytest.mark.parametrize("make,x,shape", CASES)
def test_first_layer_takes_input_shape(make, x, shape):
    model = Sequential([make()])
    model.compile(optimizer="adam", loss="mse")
    assert model.predict(x, verbose=0).shape == shape
