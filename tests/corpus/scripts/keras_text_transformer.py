"""Text classification with a Transformer block, in the layout of the keras-io example:
subclassed ``layers.Layer``s (a TransformerBlock holding MultiHeadAttention, a Sequential
feed-forward, two LayerNormalizations and Dropouts, ``call(inputs, training=False)``; a
TokenAndPositionEmbedding using ``keras.ops.shape`` / ``keras.ops.arange``), a functional
model with GlobalAveragePooling1D, ``compile("adam", "sparse_categorical_crossentropy",
metrics=["accuracy"])`` and ``fit(validation_data=...)``. The IMDB download is replaced by
local token-id reviews."""
import argparse

import keras
from keras import layers
from keras import ops

from local_data import reviews

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=4)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 2
keras.utils.set_random_seed(4)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 500
maxlen = 40
x, y = reviews(n=1500, length=maxlen, vocab=vocab_size)
x_train, y_train, x_val, y_val = x[:1200], y[:1200], x[1200:], y[1200:]
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")

embed_dim = 32
num_heads = 2
ff_dim = 32

inputs = layers.Input(shape=(maxlen,))
embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
x = embedding_layer(inputs)
transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
x = transformer_block(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs,
                    validation_data=(x_val, y_val), verbose=2)
print(f"RESULT accuracy={history.history['val_accuracy'][-1]:.4f}")
