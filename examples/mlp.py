"""Multi-layer perceptrons: classification of the bundled digits, and regression with MSE.

    python examples/mlp.py [--quick]

1. Classification: the 8x8 digits flattened to 64 features, 64 -> 128 -> 10 with ReLU,
   Adam and cross-entropy, written as a plain PyTorch-style training loop.
2. Regression: learn y = sin(x) + 0.3 x on [-3, 3] from noisy samples with a
   1 -> 64 -> 64 -> 1 tanh network and MSE loss.
"""
import argparse

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.datasets import load_digits
from fastnn.utils.data import DataLoader, TensorDataset


def classify(epochs):
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = fastnn.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(fastnn.from_numpy(x_train), fastnn.from_numpy(y_train)),
                        batch_size=32, shuffle=True)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        print(f"[classification] epoch {epoch + 1}: train loss {total / len(x_train):.4f}")
    model.eval()
    with fastnn.no_grad():
        pred = model(fastnn.from_numpy(x_test)).argmax(dim=1)
    accuracy = (pred == fastnn.from_numpy(y_test)).float().mean().item()
    print(f"[classification] test accuracy {accuracy * 100:.2f}%")
    return accuracy


def regress(epochs):
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (512, 1)).astype(np.float32)
    y = (np.sin(x) + 0.3 * x + rng.normal(0, 0.05, x.shape)).astype(np.float32)
    model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
    opt = fastnn.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = fastnn.from_numpy(x), fastnn.from_numpy(y)
    for step in range(epochs * 20):
        opt.zero_grad()
        loss = F.mse_loss(model(xt), yt)
        loss.backward()
        opt.step()
        if (step + 1) % 100 == 0:
            print(f"[regression] step {step + 1}: mse {loss.item():.5f}")
    grid = np.linspace(-3, 3, 101, dtype=np.float32)[:, None]
    with fastnn.no_grad():
        fit = model(fastnn.from_numpy(grid)).numpy()
    err = float(np.sqrt(np.mean((fit - (np.sin(grid) + 0.3 * grid)) ** 2)))
    print(f"[regression] RMS error against the noise-free curve: {err:.4f}")
    return err


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    fastnn.manual_seed(0)
    epochs = 1 if args.quick else args.epochs
    return classify(epochs), regress(epochs)


if __name__ == "__main__":
    main()
