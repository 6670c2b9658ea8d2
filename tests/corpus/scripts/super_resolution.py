"""Sub-pixel convolution super-resolution (ESPCN): a few convolutions then PixelShuffle
upscale 4x4 thumbnails back to the 8x8 digits (the layout of the PyTorch
super_resolution example); PSNR on held-out images."""
import argparse
from math import log10

import torch
import torch.nn as nn
import torch.nn.init as init
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

from local_data import digits


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 32, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(32, 32, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(32, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        return self.pixel_shuffle(self.conv3(x))

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight)


def low_res(images):
    """2x2 average pooling: the degraded input the network learns to invert."""
    n = images.shape[0]
    return images.reshape(n, 1, 4, 2, 4, 2).mean(axis=(3, 5))


parser = argparse.ArgumentParser(description='Super Res Example')
parser.add_argument('--upscale_factor', type=int, default=2)
parser.add_argument('--batchSize', type=int, default=64)
parser.add_argument('--nEpochs', type=int, default=30)
parser.add_argument('--lr', type=float, default=0.01)
parser.add_argument('--seed', type=int, default=123)
parser.add_argument('--quick', action='store_true')
opt = parser.parse_args()
if opt.quick:
    opt.nEpochs = 5
torch.manual_seed(opt.seed)
x, _ = digits(train=True, normalize=False)
xt, _ = digits(train=False, normalize=False)
training_data_loader = DataLoader(TensorDataset(torch.from_numpy(low_res(x)), torch.from_numpy(x)),
                                  batch_size=opt.batchSize, shuffle=True)
testing_data_loader = DataLoader(TensorDataset(torch.from_numpy(low_res(xt)), torch.from_numpy(xt)),
                                 batch_size=100)
model = Net(upscale_factor=opt.upscale_factor)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=opt.lr)


def train(epoch):
    epoch_loss = 0
    for iteration, (input, target) in enumerate(training_data_loader, 1):
        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
    print(f"===> Epoch {epoch} Complete: Avg. Loss: {epoch_loss / len(training_data_loader):.4f}")


def test():
    avg_psnr = 0
    with torch.no_grad():
        for input, target in testing_data_loader:
            mse = criterion(model(input), target)
            avg_psnr += 10 * log10(1 / mse.item())
    avg_psnr /= len(testing_data_loader)
    print(f"===> Avg. PSNR: {avg_psnr:.4f} dB")
    return avg_psnr


for epoch in range(1, opt.nEpochs + 1):
    train(epoch)
    psnr = test()
print(f"RESULT psnr={psnr:.4f}")
