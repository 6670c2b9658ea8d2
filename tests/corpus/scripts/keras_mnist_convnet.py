"""A small Keras convnet on the digits: keras.Input, Conv2D/MaxPooling2D, Dropout,
softmax output, categorical crossentropy with one-hot labels from to_categorical,
fit with validation_split, evaluate (the layout of the Keras MNIST convnet example)."""
import argparse

import numpy as np
import keras
from keras import layers

from local_data import digits

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 6
keras.utils.set_random_seed(1)

num_classes = 10
input_shape = (8, 8, 1)

# Load the data and split it between train and test sets
x_train, y_train = digits(train=True, normalize=False)
x_test, y_test = digits(train=False, normalize=False)
# channels last, as Keras expects
x_train = np.transpose(x_train, (0, 2, 3, 1)).astype("float32")
x_test = np.transpose(x_test, (0, 2, 3, 1)).astype("float32")
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()

batch_size = 64
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=batch_size, epochs=args.epochs, validation_split=0.1, verbose=2)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
print(f"RESULT accuracy={score[1]:.4f}")
