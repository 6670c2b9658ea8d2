"""A siamese network decides whether two digit images show the same digit: one shared
CNN embeds both, the two embeddings are concatenated and scored with a sigmoid, trained
with BCELoss, Adadelta and StepLR (the layout of the PyTorch siamese_network example)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset

from local_data import digits


class SiameseNetwork(nn.Module):
    def __init__(self):
        super(SiameseNetwork, self).__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        )
        self.fc = nn.Sequential(nn.Linear(2 * 32 * 4 * 4, 64), nn.ReLU(inplace=True), nn.Linear(64, 1))
        self.sigmoid = nn.Sigmoid()
        self.cnn.apply(self.init_weights)
        self.fc.apply(self.init_weights)

    def init_weights(self, m):
        if isinstance(m, nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            m.bias.data.fill_(0.01)

    def forward_once(self, x):
        return self.cnn(x).view(x.size()[0], -1)

    def forward(self, input1, input2):
        output = torch.cat((self.forward_once(input1), self.forward_once(input2)), 1)
        return self.sigmoid(self.fc(output))


class PairDataset(Dataset):
    """Pairs of images: same class with probability 1/2 (target 1), else a different class."""

    def __init__(self, images, labels, seed):
        super(PairDataset, self).__init__()
        self.images, self.labels = torch.from_numpy(images), labels
        self.by_class = [[i for i, y in enumerate(labels) if y == c] for c in range(10)]
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        image_1 = self.images[index]
        c = int(self.labels[index])
        if index % 2 == 0:
            choices, target = self.by_class[c], 1.0
        else:
            other = (c + 1 + int(self.rng.integers(0, 9))) % 10
            choices, target = self.by_class[other], 0.0
        j = choices[int(self.rng.integers(0, len(choices)))]
        return image_1, self.images[j], torch.tensor(target, dtype=torch.float)


def train(args, model, train_loader, optimizer, epoch):
    model.train()
    criterion = nn.BCELoss()
    for batch_idx, (images_1, images_2, targets) in enumerate(train_loader):
        optimizer.zero_grad()
        outputs = model(images_1, images_2).squeeze()
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(images_1)}/{len(train_loader.dataset)}]"
                  f"\tLoss: {loss.item():.6f}")


def test(model, test_loader):
    model.eval()
    test_loss, correct = 0, 0
    criterion = nn.BCELoss()
    with torch.no_grad():
        for (images_1, images_2, targets) in test_loader:
            outputs = model(images_1, images_2).squeeze()
            test_loss += criterion(outputs, targets).sum().item()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct += pred.eq(targets.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    acc = correct / len(test_loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} "
          f"({100. * acc:.0f}%)\n")
    return acc


def main():
    parser = argparse.ArgumentParser(description='Siamese network on digits')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=14)
    parser.add_argument('--lr', type=float, default=1.0)
    parser.add_argument('--gamma', type=float, default=0.7)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--log-interval', type=int, default=10)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    if args.quick:
        args.epochs = 4
    torch.manual_seed(args.seed)
    x, y = digits(train=True)
    xt, yt = digits(train=False)
    train_loader = DataLoader(PairDataset(x, y, 0), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(PairDataset(xt, yt, 1), batch_size=256)
    model = SiameseNetwork()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, train_loader, optimizer, epoch)
        acc = test(model, test_loader)
        scheduler.step()
    print(f"RESULT accuracy={acc:.4f}")


if __name__ == '__main__':
    main()
