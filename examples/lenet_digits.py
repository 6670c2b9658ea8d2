"""The seed article's PyTorch LeNet with an explicit training loop, on the bundled digits.

Conv 6 -> pool -> Conv 16 -> pool -> 120 -> 84 -> 10, SGD with momentum 0.9 and
F.cross_entropy, exactly the article's Net, train() and evaluate(). The article
trains on 32x32 CIFAR-10 images; here the 8x8 digits are enlarged 4x to 32x32
(one grey channel), so the network's shapes are the article's. The only change to
the PyTorch code is the import.

    python examples/lenet_digits.py [--epochs N] [--quick]
"""
import argparse

import numpy as np

import fastnn as torch
import fastnn.nn as nn
import fastnn.nn.functional as F
import fastnn.optim as optim
from fastnn.datasets import load_digits
from fastnn.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def train(model, device, train_loader, optimizer, epoch):
    model.train()
    running_loss = 0.0
    for i, data in enumerate(train_loader, 0):
        inputs, labels = data
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = F.cross_entropy(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print("[epoch %d] loss: %.3f" % (epoch + 1, running_loss / len(train_loader)))


def evaluate(model, device, test_loader):
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for data in test_loader:
            images, labels = data
            images = images.to(device)
            labels = labels.to(device)
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    print("Accuracy of the network on the %d test images: %.1f %%" % (total, 100 * correct / total))
    return correct / total


def enlarge(images):
    """8x8 digits -> 32x32, normalised to [-1, 1] like the article's Normalize((0.5,), (0.5,))."""
    big = np.kron(images, np.ones((1, 1, 4, 4), dtype=images.dtype))
    return (big - 0.5) / 0.5


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    epochs = 1 if args.quick else args.epochs
    if args.quick:
        x_train, y_train = x_train[:128], y_train[:128]
    train_set = TensorDataset(torch.from_numpy(enlarge(x_train)), torch.from_numpy(y_train))
    test_set = TensorDataset(torch.from_numpy(enlarge(x_test)), torch.from_numpy(y_test))
    train_loader = DataLoader(train_set, batch_size=16, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=64, shuffle=False)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = Net().to(device)
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    accuracy = 0.0
    for epoch in range(epochs):
        train(model, device, train_loader, optimizer, epoch)
        accuracy = evaluate(model, device, test_loader)
    return accuracy


if __name__ == "__main__":
    main()
