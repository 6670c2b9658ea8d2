"""Time-series classification with a Transformer encoder, in the layout of the keras-io
example: ``transformer_encoder`` blocks of LayerNormalization -> MultiHeadAttention
(self-attention with dropout) -> residual add, then a Conv1D(kernel_size=1) feed-forward
with its own residual; ``GlobalAveragePooling1D(data_format="channels_last")``, an MLP
head, ``keras.optimizers.Adam(learning_rate=1e-4)``, EarlyStopping with
``restore_best_weights``, ``validation_split`` and ``evaluate``. The FordA download is
replaced by a local set of the same shape."""
import argparse

import numpy as np
import keras
from keras import layers

from local_data import ford_a

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 8
keras.utils.set_random_seed(2)

x_train, y_train, x_test, y_test = ford_a(n_train=800, n_test=300, length=48)
x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
n_classes = len(np.unique(y_train))
idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]
y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Attention and Normalization
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build_model(input_shape, head_size, num_heads, ff_dim, num_transformer_blocks, mlp_units,
                dropout=0, mlp_dropout=0):
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv1D(filters=8, kernel_size=5, padding="same", activation="relu")(inputs)
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


input_shape = x_train.shape[1:]
model = build_model(input_shape, head_size=16, num_heads=2, ff_dim=8, num_transformer_blocks=2,
                    mlp_units=[32], mlp_dropout=0.2, dropout=0.1)
model.compile(loss="sparse_categorical_crossentropy",
              optimizer=keras.optimizers.Adam(learning_rate=3e-3),
              metrics=["sparse_categorical_accuracy"])
model.summary()
callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
model.fit(x_train, y_train, validation_split=0.2, epochs=args.epochs, batch_size=32,
          callbacks=callbacks, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=1)
print(f"RESULT accuracy={acc:.4f}")
