"""Text classification the Keras way: an Embedding feeding a Conv1D + GlobalMaxPooling1D
branch and an LSTM branch, binary crossentropy, evaluate on held-out reviews (the layout
of the Keras IMDB examples; synthetic reviews stand in for the download)."""
import argparse

import keras
from keras import layers

from local_data import reviews

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 4
keras.utils.set_random_seed(7)

max_features, embedding_dim, sequence_length = 500, 32, 40
x, y = reviews()
x_train, y_train, x_test, y_test = x[:1200], y[:1200], x[1200:], y[1200:]

inputs = keras.Input(shape=(sequence_length,), dtype="int64")
h = layers.Embedding(max_features, embedding_dim)(inputs)
h = layers.Dropout(0.2)(h)
conv = layers.Conv1D(32, 5, padding="valid", activation="relu", strides=1)(h)
conv = layers.GlobalMaxPooling1D()(conv)
rnn = layers.LSTM(16)(h)
h = layers.Concatenate()([conv, rnn])
h = layers.Dense(32, activation="relu")(h)
h = layers.Dropout(0.2)(h)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(h)
model = keras.Model(inputs, predictions)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, validation_split=0.1, epochs=args.epochs, batch_size=32, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f} - accuracy: {accuracy:.4f}")
print(f"RESULT accuracy={accuracy:.4f}")
