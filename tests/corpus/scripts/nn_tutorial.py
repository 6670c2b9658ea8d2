"""The "What is torch.nn really?" tutorial's progression, in its layout: a hand-written
logistic regression with ``requires_grad_()`` weights, a manual log_softmax and
``-input[range(n), target].mean()`` NLL, in-place updates under ``torch.no_grad()`` with
``grad.zero_()``; then ``nn.Module`` with ``nn.Parameter``s, ``nn.Linear``, ``optim.SGD``,
``TensorDataset``/``DataLoader``, a ``fit``/``loss_batch`` pair with ``zip(*[...])`` and
``np.sum(np.multiply(...))``, and finally a CNN built from ``nn.Sequential`` with a
``Lambda`` module, ``view``, ``nn.AdaptiveAvgPool2d`` and a WrappedDataLoader. The MNIST
pickle is replaced by the bundled digits (8x8, so the CNN is smaller)."""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from local_data import digits

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
if args.quick:
    args.epochs = 3
torch.manual_seed(args.seed)

x, y = digits(train=True)
xv, yv = digits(train=False)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (x.reshape(len(x), 64), y,
                                                        xv.reshape(len(xv), 64), yv))
n, c = x_train.shape
print(x_train, y_train)
print(x_train.shape)
print(y_train.min(), y_train.max())

# --- from scratch ---------------------------------------------------------------
weights = torch.randn(64, 10) / math.sqrt(64)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


bs = 64
lr = 0.5
for epoch in range(args.epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
scratch_acc = accuracy(model(x_valid), y_valid).item()
print("from scratch:", loss_func(model(x_valid), y_valid).item(), scratch_acc)

# --- with nn.Module, optim, Dataset, DataLoader ------------------------------------
loss_func = F.cross_entropy


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(64, 10) / math.sqrt(64))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


def get_data(train_ds, valid_ds, bs):
    return (DataLoader(train_ds, batch_size=bs, shuffle=True),
            DataLoader(valid_ds, batch_size=bs * 2))


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, val_loss)
    return val_loss


train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model = Mnist_Logistic()
opt = optim.SGD(model.parameters(), lr=lr)
fit(args.epochs, model, loss_func, opt, train_dl, valid_dl)


# --- CNN with nn.Sequential, Lambda and a wrapped DataLoader -------------------------
class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x, y):
    return x.view(-1, 1, 8, 8), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
train_dl = WrappedDataLoader(train_dl, preprocess)
valid_dl = WrappedDataLoader(valid_dl, preprocess)
model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
fit(args.epochs * 3, model, loss_func, opt, train_dl, valid_dl)
model.eval()
with torch.no_grad():
    acc = np.mean([accuracy(model(xb), yb).item() for xb, yb in valid_dl])
# the small CNN's accuracy swings with the seed (on PyTorch too); the hand-written
# model's is the stable number to compare
print(f"CNN accuracy {acc:.4f}")
print(f"RESULT accuracy={scratch_acc:.4f}")
