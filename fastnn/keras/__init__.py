"""Keras-style front end: ``Sequential``, the functional ``Model(inputs, outputs)`` over
``Input``, ``layers``, ``losses``, ``metrics`` objects, ``optimizers`` objects,
``compile`` / ``fit`` / ``evaluate`` / ``predict``, ``callbacks``, ``utils`` and
``Model.save`` / ``models.load_model`` (safetensors + JSON, no pickle), over any fastnn Module.

    import fastnn.keras as keras
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(32, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(keras.layers.MaxPooling2D()(x))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=10, batch_size=32, validation_split=0.1)

Wrap a PyTorch-style module with ``Model(net)`` to get the same methods.
"""
from __future__ import annotations

import types as _types

from . import (backend, callbacks, initializers, layers, losses, metrics, ops,  # noqa: F401
               optimizers, regularizers, utils)
from .callbacks import History  # noqa: F401
from .functional import Input, InputLayer, KerasTensor  # noqa: F401
from .model import Model  # noqa: F401
from .saving import load_model  # noqa: F401
from .sequential import Sequential  # noqa: F401

models = _types.SimpleNamespace(Sequential=Sequential, Model=Model, load_model=load_model)
