"""Time-series classification from scratch, in the layout of the keras-io example: labels
remapped from {-1, 1}, inputs reshaped to (n, length, 1), a functional fully-convolutional
net (Conv1D -> BatchNormalization -> ReLU x3, GlobalAveragePooling1D, softmax Dense),
ModelCheckpoint(save_best_only) + ReduceLROnPlateau + EarlyStopping on val_loss,
``sparse_categorical_crossentropy`` with the ``sparse_categorical_accuracy`` metric,
``validation_split``, then ``keras.models.load_model`` and ``evaluate``. The FordA
download is replaced by a local set of the same shape."""
import argparse
import os
import tempfile

import numpy as np
import keras
from keras import layers

from local_data import ford_a

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 20
keras.utils.set_random_seed(1)

x_train, y_train, x_test, y_test = ford_a()
x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
num_classes = len(np.unique(y_train))
idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]
y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=32, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=32, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=32, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "best_model.keras")
    callbacks = [
        keras.callbacks.ModelCheckpoint(path, save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, callbacks=callbacks,
                        validation_split=0.2, verbose=2)
    model = keras.models.load_model(path)
    test_loss, test_acc = model.evaluate(x_test, y_test)

print("Test accuracy", test_acc)
print("Test loss", test_loss)
metric = "sparse_categorical_accuracy"
print(f"best val_{metric}: {max(history.history['val_' + metric]):.4f}")
print(f"RESULT accuracy={test_acc:.4f}")
