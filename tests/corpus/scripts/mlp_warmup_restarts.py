"""An MLP on the digits trained with NAdam, a linear warm-up followed by cosine
annealing with warm restarts (SequentialLR), stepped every batch, with a checkpoint
of model and optimizer state (a common training-script layout)."""
import argparse
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, LinearLR, SequentialLR
from torch.utils.data import DataLoader, TensorDataset

from local_data import digits


class MLP(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(),
                                 nn.Dropout(0.2), nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)


def evaluate(model, loader):
    model.eval()
    correct, total, loss = 0, 0, 0.0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += y.numel()
    return loss / total, correct / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 6
    torch.manual_seed(0)
    x, y = digits(train=True)
    xt, yt = digits(train=False)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                              batch_size=32, shuffle=True)
    test_loader = DataLoader(TensorDataset(torch.from_numpy(xt), torch.from_numpy(yt)), batch_size=256)
    model = MLP()
    optimizer = torch.optim.NAdam(model.parameters(), lr=args.lr, weight_decay=1e-4,
                                  decoupled_weight_decay=True)
    steps = len(train_loader)
    warmup = LinearLR(optimizer, start_factor=0.1, total_iters=steps)
    restarts = CosineAnnealingWarmRestarts(optimizer, T_0=2 * steps, T_mult=2, eta_min=1e-5)
    scheduler = SequentialLR(optimizer, schedulers=[warmup, restarts], milestones=[steps])
    for epoch in range(args.epochs):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            scheduler.step()
        test_loss, acc = evaluate(model, test_loader)
        print(f"epoch {epoch + 1:2d} lr {scheduler.get_last_lr()[0]:.5f} "
              f"train loss {loss.item():.4f} test loss {test_loss:.4f} acc {acc:.4f}")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "checkpoint.pt")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": args.epochs}, path)
        state = torch.load(path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    print(f"RESULT accuracy={evaluate(model, test_loader)[1]:.4f}")


if __name__ == "__main__":
    main()
