"""Fast neural style transfer training, in the layout of the PyTorch fast_neural_style
example: the TransformerNet (reflection-padded convs, InstanceNorm2d(affine=True), five
residual blocks, nearest-upsample + conv decoders), a frozen feature network returning a
namedtuple of activations, Gram-matrix style loss with ``bmm``, ``normalize_batch`` with
``new_tensor`` and an in-place ``div_`` on the network output, Adam, then stylising under
``no_grad`` and saving the state_dict. The pretrained VGG16 is replaced by a small fixed
random conv net and the COCO images by upscaled RGB digits (no downloads)."""
import argparse
import os
import tempfile
import time
from collections import namedtuple

import numpy as np
import torch
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset

from local_data import digits


class TransformerNet(torch.nn.Module):
    def __init__(self, width=32):
        super(TransformerNet, self).__init__()
        # Initial convolution layers
        self.conv1 = ConvLayer(3, width, kernel_size=9, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(width, affine=True)
        self.conv2 = ConvLayer(width, 2 * width, kernel_size=3, stride=2)
        self.in2 = torch.nn.InstanceNorm2d(2 * width, affine=True)
        self.conv3 = ConvLayer(2 * width, 4 * width, kernel_size=3, stride=2)
        self.in3 = torch.nn.InstanceNorm2d(4 * width, affine=True)
        # Residual layers
        self.res1 = ResidualBlock(4 * width)
        self.res2 = ResidualBlock(4 * width)
        self.res3 = ResidualBlock(4 * width)
        self.res4 = ResidualBlock(4 * width)
        self.res5 = ResidualBlock(4 * width)
        # Upsampling layers
        self.deconv1 = UpsampleConvLayer(4 * width, 2 * width, kernel_size=3, stride=1, upsample=2)
        self.in4 = torch.nn.InstanceNorm2d(2 * width, affine=True)
        self.deconv2 = UpsampleConvLayer(2 * width, width, kernel_size=3, stride=1, upsample=2)
        self.in5 = torch.nn.InstanceNorm2d(width, affine=True)
        self.deconv3 = ConvLayer(width, 3, kernel_size=9, stride=1)
        # Non-linearities
        self.relu = torch.nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        y = self.res1(y)
        y = self.res2(y)
        y = self.res3(y)
        y = self.res4(y)
        y = self.res5(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        y = self.deconv3(y)
        return y


class ConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class ResidualBlock(torch.nn.Module):
    def __init__(self, channels):
        super(ResidualBlock, self).__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


class UpsampleConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super(UpsampleConvLayer, self).__init__()
        self.upsample = upsample
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        x_in = x
        if self.upsample:
            x_in = torch.nn.functional.interpolate(x_in, mode='nearest', scale_factor=self.upsample)
        out = self.reflection_pad(x_in)
        out = self.conv2d(out)
        return out


class Vgg(torch.nn.Module):
    """Stand-in for the pretrained VGG16 loss network: sliced Sequential features, frozen."""

    def __init__(self, requires_grad=False):
        super(Vgg, self).__init__()
        features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(inplace=True),
            torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(inplace=True),
            torch.nn.MaxPool2d(2, 2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(inplace=True),
            torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(inplace=True))
        self.slice1 = torch.nn.Sequential()
        self.slice2 = torch.nn.Sequential()
        for x in range(4):
            self.slice1.add_module(str(x), features[x])
        for x in range(4, 9):
            self.slice2.add_module(str(x), features[x])
        self.load_pretrained()
        if not requires_grad:
            for param in self.parameters():
                param.requires_grad = False

    def load_pretrained(self):
        # the "pretrained" weights: fixed He-scaled draws from NumPy, the same on every backend
        rng = np.random.default_rng(7)
        state = {}
        for name, value in self.state_dict().items():
            fan_in = int(np.prod(value.shape[1:])) if value.dim() > 1 else 1
            scale = np.sqrt(2.0 / fan_in) if value.dim() > 1 else 0.01
            state[name] = torch.from_numpy((rng.standard_normal(tuple(value.shape)) * scale)
                                           .astype(np.float32))
        self.load_state_dict(state)

    def forward(self, X):
        h = self.slice1(X)
        h_relu1_2 = h
        h = self.slice2(h)
        h_relu2_2 = h
        vgg_outputs = namedtuple("VggOutputs", ['relu1_2', 'relu2_2'])
        return vgg_outputs(h_relu1_2, h_relu2_2)


def gram_matrix(y):
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    features_t = features.transpose(1, 2)
    gram = features.bmm(features_t) / (ch * h * w)
    return gram


def normalize_batch(batch):
    # normalize using imagenet mean and std
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div_(255.0)
    return (batch - mean) / std


def rgb_digits(n):
    x, y = digits(train=True, normalize=False)
    x = np.kron(x[:n], np.ones((1, 1, 2, 2), np.float32))         # 16 x 16
    tint = np.array([1.0, 0.6, 0.3], np.float32).reshape(1, 3, 1, 1)
    return (x * tint * 255.0).astype(np.float32), y[:n]


def style_image():
    i, j = np.meshgrid(np.arange(16), np.arange(16), indexing="ij")
    img = np.stack([(i + j) % 6 < 3, (i - j) % 4 < 2, (i % 5) < 2]).astype(np.float32)
    return torch.from_numpy(img * 255.0)


def train(args):
    torch.manual_seed(args.seed)
    x, y = rgb_digits(args.num_images)
    train_loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                              batch_size=args.batch_size, shuffle=True)
    transformer = TransformerNet(args.width)
    optimizer = Adam(transformer.parameters(), args.lr)
    mse_loss = torch.nn.MSELoss()
    vgg = Vgg(requires_grad=False)
    style = style_image()
    style = style.repeat(args.batch_size, 1, 1, 1)
    features_style = vgg(normalize_batch(style))
    gram_style = [gram_matrix(y) for y in features_style]

    for e in range(args.epochs):
        transformer.train()
        agg_content_loss = 0.
        agg_style_loss = 0.
        count = 0
        for batch_id, (x, _) in enumerate(train_loader):
            n_batch = len(x)
            count += n_batch
            optimizer.zero_grad()
            y = transformer(x)
            y = normalize_batch(y)
            x = normalize_batch(x)
            features_y = vgg(y)
            features_x = vgg(x)
            content_loss = args.content_weight * mse_loss(features_y.relu2_2, features_x.relu2_2)
            style_loss = 0.
            for ft_y, gm_s in zip(features_y, gram_style):
                gm_y = gram_matrix(ft_y)
                style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
            style_loss *= args.style_weight
            total_loss = content_loss + style_loss
            total_loss.backward()
            optimizer.step()
            agg_content_loss += content_loss.item()
            agg_style_loss += style_loss.item()
            if (batch_id + 1) % args.log_interval == 0:
                mesg = "{}\tEpoch {}:\t[{}/{}]\tcontent: {:.6f}\tstyle: {:.6f}\ttotal: {:.6f}".format(
                    time.ctime(), e + 1, count, len(train_loader.dataset),
                    agg_content_loss / (batch_id + 1),
                    agg_style_loss / (batch_id + 1),
                    (agg_content_loss + agg_style_loss) / (batch_id + 1))
                print(mesg)
    transformer.eval()
    save_model_path = os.path.join(tempfile.mkdtemp(), "epoch_" + str(args.epochs) + ".model")
    torch.save(transformer.state_dict(), save_model_path)
    print("\nDone, trained model saved at", save_model_path)
    return save_model_path, (agg_content_loss + agg_style_loss) / (batch_id + 1)


def stylize(args, model_path):
    content_image = torch.from_numpy(rgb_digits(4)[0])
    with torch.no_grad():
        style_model = TransformerNet(args.width)
        state_dict = torch.load(model_path)
        style_model.load_state_dict(state_dict)
        style_model.eval()
        output = style_model(content_image).cpu()
    img = output[0].clone().clamp(0, 255).numpy()
    img = img.transpose(1, 2, 0).astype("uint8")
    return img


def main():
    parser = argparse.ArgumentParser(description="parser for fast-neural-style")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--num-images", type=int, default=256)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--content-weight", type=float, default=1e5)
    parser.add_argument("--style-weight", type=float, default=1e10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--log-interval", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.num_images, args.width = 2, 96, 16
    path, loss = train(args)
    img = stylize(args, path)
    print("stylized image", img.shape, img.dtype)
    print(f"RESULT total_loss={loss:.6g}")


if __name__ == "__main__":
    main()
