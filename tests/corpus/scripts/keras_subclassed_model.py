"""Subclassing in Keras: a custom layer with add_weight and keras.ops, a keras.Model
subclass whose call() uses training=, compiled with metric objects and trained with
ReduceLROnPlateau and EarlyStopping callbacks (the layout of the Keras guides on
custom layers and models; digits for the data)."""
import argparse

import keras
from keras import layers, ops

from local_data import digits


class Linear(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MLPBlock(keras.Model):
    def __init__(self, num_classes=10):
        super().__init__()
        self.linear_1 = Linear(64)
        self.dropout = layers.Dropout(0.3)
        self.linear_2 = Linear(num_classes)

    def call(self, inputs, training=False):
        x = ops.relu(self.linear_1(inputs))
        x = self.dropout(x, training=training)
        return ops.softmax(self.linear_2(x))


parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 10
keras.utils.set_random_seed(11)

x, y = digits(train=True)
xt, yt = digits(train=False)
x, xt = x.reshape(len(x), -1), xt.reshape(len(xt), -1)

model = MLPBlock()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
callbacks = [keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
             keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)]
history = model.fit(x, y, batch_size=64, epochs=args.epochs, validation_split=0.2,
                    callbacks=callbacks, verbose=2)
print("learning rates:", [f"{v:.4g}" for v in history.history["learning_rate"]])
loss, acc = model.evaluate(xt, yt, verbose=0)
print(f"test loss {loss:.4f} accuracy {acc:.4f}")
print(f"RESULT accuracy={acc:.4f}")
