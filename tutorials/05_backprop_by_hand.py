# %% [markdown]
# # Tutorial 5: backpropagation by hand, checked against fastnn's autograd
#
# A Jupyter notebook in percent format, and a plain script:
#
#     python tutorials/05_backprop_by_hand.py [--quick]     # a second either way
#
# A two-layer network on a batch of N inputs x (N, D) with class labels t:
#
#     z1 = x @ W1.T + b1        (N, H)      PyTorch layout: W1 is (H, D)
#     a1 = relu(z1)
#     z2 = a1 @ W2.T + b2       (N, C)      logits
#     L  = mean_n  -log softmax(z2)[n, t_n]
#
# Backward, one chain-rule step at a time (the same equations as docs/gemm.md
# and docs/softmax_cross_entropy.md):
#
#     dz2 = (softmax(z2) - onehot(t)) / N
#     dW2 = dz2.T @ a1        db2 = dz2.sum(0)      da1 = dz2 @ W2
#     dz1 = da1 * (z1 > 0)
#     dW1 = dz1.T @ x         db1 = dz1.sum(0)
#
# The notebook computes these in NumPy (float64) and asserts they match what
# fastnn's autograd puts in .grad. It then trains the net with its own gradients
# and plain SGD and shows the loss going down.
#
# What it reaches: the gradients agree to float64 rounding (below 1e-15), and
# training on the digits with the hand-written gradients gets above 90% test
# accuracy in 200 steps (94.4% on the development machine).

# %%
import os

import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn.datasets import load_digits

from _common import options, plot_curves

args = options("Tutorial 5: backpropagation by hand")
rng = np.random.default_rng(0)
x_train, y_train = load_digits("train")
x_test, y_test = load_digits("test")
x_train = x_train.reshape(len(x_train), -1).astype(np.float64)
x_test = x_test.reshape(len(x_test), -1).astype(np.float64)

# %% [markdown]
# ## The forward and backward passes, every step written out


# %%
def forward_backward_numpy(x, t, W1, b1, W2, b2):
    """Loss and gradients of the two-layer net."""
    N = x.shape[0]
    z1 = x @ W1.T + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2.T + b2
    z = z2 - z2.max(axis=1, keepdims=True)            # stable softmax
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), t]).mean()
    dz2 = p.copy()
    dz2[np.arange(N), t] -= 1
    dz2 /= N
    dW2, db2, da1 = dz2.T @ a1, dz2.sum(0), dz2 @ W2
    dz1 = da1 * (z1 > 0)
    dW1, db1 = dz1.T @ x, dz1.sum(0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


# %% [markdown]
# The same network through fastnn's autograd: `backward()` fills `.grad`.


# %%
def forward_backward_autograd(x, t, params):
    tensors = {k: fastnn.tensor(v, requires_grad=True) for k, v in params.items()}
    h = F.relu(F.linear(fastnn.tensor(x), tensors["W1"], tensors["b1"]))
    loss = F.cross_entropy(F.linear(h, tensors["W2"], tensors["b2"]), fastnn.tensor(t))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in tensors.items()}


# %% [markdown]
# ## 1. One batch: hand-written gradients == autograd gradients

# %%
params = {"W1": rng.normal(0, np.sqrt(2 / 64), (32, 64)), "b1": np.zeros(32),    # He init for the relu layer
          "W2": rng.normal(0, np.sqrt(1 / 32), (10, 32)), "b2": np.zeros(10)}
xb, tb = x_train[:16], y_train[:16]
loss_np, grads_np = forward_backward_numpy(xb, tb, **params)
loss_ag, grads_ag = forward_backward_autograd(xb, tb, params)
assert abs(loss_np - loss_ag) < 1e-10, (loss_np, loss_ag)
worst = 0.0
for k in params:
    np.testing.assert_allclose(grads_np[k], grads_ag[k], rtol=1e-9, atol=1e-12, err_msg=k)
    worst = max(worst, float(np.abs(grads_np[k] - grads_ag[k]).max()))
    print(f"d{k:2s} shape {str(grads_np[k].shape):9s} max |hand - autograd| = "
          f"{np.abs(grads_np[k] - grads_ag[k]).max():.1e}")
print(f"loss {loss_np:.6f} both ways; the hand-written backward matches autograd (worst {worst:.1e})")

# %% [markdown]
# ## 2. Train with the hand-written gradients and plain SGD

# %%
steps, lr, batch = (30 if args.quick else 200), 0.5, 64
losses = []
for step in range(steps):
    idx = rng.integers(0, len(x_train), batch)
    loss, grads = forward_backward_numpy(x_train[idx], y_train[idx], **params)
    for k in params:
        params[k] -= lr * grads[k]
    losses.append(loss)
h = np.maximum(x_test @ params["W1"].T + params["b1"], 0)
acc = float(((h @ params["W2"].T + params["b2"]).argmax(1) == y_test).mean())
print(f"SGD with hand-written gradients: loss {losses[0]:.3f} -> {np.mean(losses[-10:]):.3f} "
      f"in {steps} steps; test accuracy {acc * 100:.1f}%")
plot_curves(os.path.join(args.out, "backprop_by_hand.png"), {"train loss (hand-written backward)": losses},
            "Two-layer net, manual backprop", xlabel="step")

# %% [markdown]
# ## What it reached

# %%
print(f"reached: gradients equal to autograd's within {worst:.1e}; test accuracy {acc * 100:.1f}% "
      + ("[quick mode: 30 steps]" if args.quick else "after 200 steps (goal > 90%)"))
if not args.quick:
    assert acc > 0.9, acc
