# %% [markdown]
# # Tutorial 1: multi-layer perceptrons, for classification and regression
#
# A Jupyter notebook in percent format (open it with Jupyter's jupytext
# extension or VS Code), and a plain script:
#
#     python tutorials/01_mlp.py            # about 10 s on 2 cores
#     python tutorials/01_mlp.py --quick    # a few seconds (what the tests run)
#
# Part 1 classifies the bundled 8x8 digits with the Keras-style front end:
# Dense(128, relu) -> Dense(10, softmax), adam, compile / fit / evaluate. The
# History that fit returns holds each epoch's loss and accuracy.
# Part 2 fits a curve, y = sin(x) + 0.3 x, from noisy samples with a
# PyTorch-style loop: a 1 -> 32 -> 32 -> 1 tanh net, MSE loss, an explicit
# zero_grad / backward / step. (examples/mlp.py does the same two jobs the other
# way round: a PyTorch-style classifier and a longer regression.)
#
# What it reaches (full run): about 97% test accuracy on the 360 held-out
# digits and an RMS error of about 0.03 against the noise-free curve. With
# matplotlib installed it writes tutorial_out/mlp_classification.png and
# tutorial_out/mlp_regression.png; without matplotlib it says so.

# %%
import os

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.datasets import load_digits
from fastnn.keras import Sequential
from fastnn.keras.layers import Dense

from _common import options, plot_curves

args = options("Tutorial 1: multi-layer perceptrons")
fastnn.manual_seed(0)

# %% [markdown]
# ## Part 1: classification with the Keras-style front end
#
# Each digit is 64 pixel values in [0, 1]; the softmax output gives ten class
# probabilities and sparse categorical cross-entropy compares them with the label.

# %%
epochs = 2 if args.quick else 30
x_train, y_train = load_digits("train")          # (1437, 1, 8, 8) in [0, 1], labels 0..9
x_test, y_test = load_digits("test")
x_train, x_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)   # 64 features per digit
model = Sequential([Dense(128, activation="relu", input_shape=(64,)),
                    Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=epochs, batch_size=32,
                    validation_data=(x_test, y_test), verbose=0)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"[classification] {epochs} epochs: train loss {history.history['loss'][0]:.3f} -> "
      f"{history.history['loss'][-1]:.3f}; test accuracy {acc * 100:.2f}%")
history.plot(os.path.join(args.out, "mlp_classification.png"))

# %% [markdown]
# ## Part 2: regression with a PyTorch-style training loop

# %%
steps = 60 if args.quick else 1500
rng = np.random.default_rng(0)
x = rng.uniform(-3, 3, (256, 1)).astype(np.float32)
y = (np.sin(x) + 0.3 * x + rng.normal(0, 0.05, x.shape)).astype(np.float32)
net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = fastnn.optim.Adam(net.parameters(), lr=1e-2)
xt, yt = fastnn.from_numpy(x), fastnn.from_numpy(y)
losses = []
for step in range(steps):
    opt.zero_grad()                       # gradients accumulate: clear them first
    mse = F.mse_loss(net(xt), yt)         # mean of (prediction - target)^2
    mse.backward()                        # fills p.grad for every parameter
    opt.step()                            # Adam update
    losses.append(mse.item())

# %% [markdown]
# How close is the fit to the curve without the noise?

# %%
grid = np.linspace(-3, 3, 101, dtype=np.float32)[:, None]
with fastnn.no_grad():
    fit = net(fastnn.from_numpy(grid)).numpy()
rms = float(np.sqrt(np.mean((fit - (np.sin(grid) + 0.3 * grid)) ** 2)))
print(f"[regression] {steps} steps: MSE {losses[0]:.3f} -> {losses[-1]:.4f}; "
      f"RMS error against the noise-free curve {rms:.4f}")
plot_curves(os.path.join(args.out, "mlp_regression.png"), {"train MSE": losses},
            "MLP regression", xlabel="step", ylabel="MSE", logy=True)

# %% [markdown]
# ## What it reached

# %%
print(f"reached: test accuracy {acc * 100:.1f}% (goal >= 95%), regression RMS {rms:.3f} (goal < 0.1)"
      + (" [quick mode: a few epochs and steps only]" if args.quick else ""))
