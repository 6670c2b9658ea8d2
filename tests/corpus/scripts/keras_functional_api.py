"""The Keras functional API with two inputs (pixels and a hand-made feature), merged
by Concatenate; EarlyStopping and ModelCheckpoint on val_loss; the best model saved
in the .keras format, reloaded with load_model and evaluated."""
import argparse
import os
import tempfile

import keras
from keras import layers

from local_data import digits

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 8
keras.utils.set_random_seed(3)

x, y = digits(train=True, normalize=False)
xt, yt = digits(train=False, normalize=False)
pixels, pixels_test = x.reshape(len(x), 64), xt.reshape(len(xt), 64)
# a second input: the ink per row, a feature an engineer might add
rows, rows_test = x.sum(axis=3).reshape(len(x), 8), xt.sum(axis=3).reshape(len(xt), 8)

pixel_input = keras.Input(shape=(64,), name="pixels")
row_input = keras.Input(shape=(8,), name="row_ink")
h = layers.Dense(64, activation="relu")(pixel_input)
h = layers.Dropout(0.2)(h)
r = layers.Dense(8, activation="relu")(row_input)
merged = layers.Concatenate()([h, r])
outputs = layers.Dense(10, activation="softmax", name="digit")(merged)
model = keras.Model(inputs=[pixel_input, row_input], outputs=outputs)
model.summary()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "best.keras")
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
                 keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)]
    history = model.fit({"pixels": pixels, "row_ink": rows}, y, batch_size=32, epochs=args.epochs,
                        validation_split=0.15, callbacks=callbacks, verbose=2)
    best = keras.models.load_model(path)
    loss, acc = best.evaluate([pixels_test, rows_test], yt, verbose=0)
print(f"best val_loss {min(history.history['val_loss']):.4f}; test loss {loss:.4f}, accuracy {acc:.4f}")
print(f"RESULT accuracy={acc:.4f}")
