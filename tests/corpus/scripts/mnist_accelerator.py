"""The digits CNN with PyTorch's device-agnostic setup: torch.accelerator picks the
device (none on a CPU-only machine), --no-accel forces the CPU, DataLoader kwargs depend on
it, and the trained weights are saved and loaded back (the current layout of the PyTorch
MNIST example)."""
import argparse
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

from local_data import digits


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def run_epoch(model, device, loader, optimizer=None):
    model.train(optimizer is not None)
    total, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(optimizer is not None):
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            loss = F.nll_loss(output, target)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total += loss.item() * len(data)
            correct += (output.argmax(1) == target).sum().item()
            count += len(data)
    return total / count, correct / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--no-accel', action='store_true')
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    if args.quick:
        args.epochs = 3
    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(1)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    train_kwargs, test_kwargs = {'batch_size': 64}, {'batch_size': 500}
    if use_accel:
        accel_kwargs = {'num_workers': 1, 'pin_memory': True, 'shuffle': True}
        train_kwargs.update(accel_kwargs)
        test_kwargs.update(accel_kwargs)
    else:
        train_kwargs['shuffle'] = True
    x, y = digits(train=True)
    xt, yt = digits(train=False)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), **train_kwargs)
    test_loader = DataLoader(TensorDataset(torch.from_numpy(xt), torch.from_numpy(yt)), **test_kwargs)
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        train_loss, _ = run_epoch(model, device, train_loader, optimizer)
        test_loss, acc = run_epoch(model, device, test_loader)
        print(f"epoch {epoch}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, accuracy {acc:.4f}")
        scheduler.step()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "digits_cnn.pt")
        torch.save(model.state_dict(), path)
        again = Net()
        again.load_state_dict(torch.load(path, weights_only=True))
        _, acc = run_epoch(again.to(device), device, test_loader)
    print(f"RESULT accuracy={acc:.4f}")


if __name__ == '__main__':
    main()
