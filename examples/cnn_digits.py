"""The seed article's Keras CNN, ported line by line, trained on the bundled digits.

Conv2D 32 -> MaxPooling2D -> Conv2D 64 -> MaxPooling2D -> Flatten -> Dense 128 -> Dense 10,
adam, sparse categorical cross-entropy, compile / fit / evaluate. The digits are
8x8 (the UCI handwritten digits shipped inside fastnn), so the convolutions use
padding="same" where the article's 28x28 MNIST version used "valid".

    python examples/cnn_digits.py            # ~97-99% test accuracy in well under a minute
    python examples/cnn_digits.py --quick    # one short epoch (used by the tests)
"""
import argparse
import time

import fastnn
from fastnn.datasets import load_digits
from fastnn.keras import Sequential
from fastnn.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="1 epoch on a subset (smoke test)")
    parser.add_argument("--plot", metavar="PNG", help="write loss/accuracy curves here (needs matplotlib)")
    args = parser.parse_args(argv)
    fastnn.manual_seed(0)

    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    # Keras works channels-last: (N, 8, 8, 1)
    x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    epochs = args.epochs
    if args.quick:
        x_train, y_train, epochs = x_train[:256], y_train[:256], 1

    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", padding="same", input_shape=(8, 8, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu", padding="same"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32,
                        validation_data=(x_test, y_test), verbose=2)
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"trained {epochs} epochs on {len(x_train)} digits in {elapsed:.1f}s")
    print(f"test loss {loss:.4f}  test accuracy {accuracy * 100:.2f}% ({len(x_test)} held-out digits)")
    if args.plot and history.plot(args.plot):
        print(f"training curves written to {args.plot}")
    return accuracy


if __name__ == "__main__":
    main()
