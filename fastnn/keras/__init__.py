"""Keras-style front end: ``Sequential``, ``layers``, ``compile`` / ``fit`` / ``evaluate`` /
``predict``, ``callbacks`` and a progress bar, over any fastnn Module.

    from fastnn.keras import Sequential
    from fastnn.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense
    model = Sequential([Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)), ...])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=10, batch_size=32, validation_data=(x_test, y_test))

Wrap a PyTorch-style module with ``Model(net)`` to get the same methods.
"""
from . import callbacks, layers, losses  # noqa: F401
from .callbacks import History  # noqa: F401
from .sequential import Sequential  # noqa: F401
from .training import Model  # noqa: F401

models = __import__("types").SimpleNamespace(Sequential=Sequential, Model=Model)
