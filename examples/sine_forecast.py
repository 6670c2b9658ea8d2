"""Sequence regression: forecast the next values of noisy sine waves with a GRU.

    python examples/sine_forecast.py [--epochs N] [--cell gru|lstm] [--quick]

Each example is a window of ``--window`` noisy samples of a sine wave with a
random frequency, phase and amplitude; the target is the next ``--horizon``
noise-free values. The model reads the window with

    GRU(1, H, batch_first=True)  (or LSTM)  ->  last hidden state  ->  Linear(H, horizon)

and is trained with MSE and Adam. On held-out waves it reports the test RMSE
next to the naive forecast "every future value equals the last observed one"
-- the baseline a forecaster has to beat, and which it does by learning the
wave's local slope and curvature and by averaging out the noise.
"""
import argparse

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.utils.data import DataLoader, TensorDataset


def make_waves(n, window, horizon, noise, rng):
    t = np.arange(window + horizon, dtype=np.float64)
    freq = rng.uniform(0.02, 0.08, (n, 1))             # cycles per step
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.5, (n, 1))
    clean = amp * np.sin(2 * np.pi * freq * t + phase)
    observed = clean[:, :window] + rng.normal(0, noise, (n, window))
    x = observed[:, :, None].astype(np.float32)         # (N, window, 1): batch_first
    y = clean[:, window:].astype(np.float32)            # (N, horizon)
    return x, y


class Forecaster(nn.Module):
    def __init__(self, hidden, horizon, cell="gru"):
        super().__init__()
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):
        _, h = self.rnn(x)
        if isinstance(h, tuple):  # LSTM returns (h_n, c_n)
            h = h[0]
        return self.head(h[-1])   # h_n of the last layer: (B, H)


def rmse(pred, target):
    return float(np.sqrt(np.mean((pred - target) ** 2)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    parser.add_argument("--hidden", type=int, default=48)
    parser.add_argument("--window", type=int, default=40)
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--quick", action="store_true", help="a few seconds: 10 epochs on 1200 waves")
    args = parser.parse_args(argv)
    n_train = 2000
    if args.quick:
        args.epochs, n_train = 10, 1200
    fastnn.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_waves(n_train, args.window, args.horizon, args.noise, rng)
    x_test, y_test = make_waves(500, args.window, args.horizon, args.noise, rng)

    model = Forecaster(args.hidden, args.horizon, args.cell)
    opt = fastnn.optim.Adam(model.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(fastnn.from_numpy(x_train), fastnn.from_numpy(y_train)),
                        batch_size=32, shuffle=True)
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        print(f"epoch {epoch:3d}  train mse {total / n_train:.5f}")

    model.eval()
    with fastnn.no_grad():
        pred = model(fastnn.from_numpy(x_test)).numpy()
    naive = np.repeat(x_test[:, -1, :], args.horizon, axis=1)
    model_rmse, naive_rmse = rmse(pred, y_test), rmse(naive, y_test)
    print(f"test RMSE over the next {args.horizon} steps: {args.cell.upper()} {model_rmse:.4f}"
          f"  vs last-value baseline {naive_rmse:.4f}  ({naive_rmse / model_rmse:.1f}x lower)")
    return model_rmse, naive_rmse


if __name__ == "__main__":
    main()
