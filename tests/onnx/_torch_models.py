"""Small PyTorch models with the layer patterns of the ImageNet architectures
(torchvision cannot be installed here): ResNet bottlenecks with a projection
shortcut, a dense block with concatenation and a transition, Inception branches,
SqueezeNet fire modules, ShuffleNet's channel shuffle (view/transpose) with
depthwise convolutions and chunk, VGG and AlexNet stacks with dropout (AlexNet
also with its local response normalisation).
Random weights, reduced width and resolution; import only when torch is there."""
import torch
from torch import nn


def _cbr(cin, cout, k, s=1, p=0, groups=1, relu=True):
    layers = [nn.Conv2d(cin, cout, k, s, p, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*(layers + [nn.ReLU()] if relu else layers))


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = _cbr(cin, width, 1)
        self.conv2 = _cbr(width, width, 3, stride, 1)
        self.conv3 = _cbr(width, width * 4, 1, relu=False)
        self.downsample = _cbr(cin, width * 4, 1, stride, relu=False) \
            if stride != 1 or cin != width * 4 else None

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.conv3(self.conv2(self.conv1(x))) + idt)


class ResNetMini(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = _cbr(3, 8, 7, 2, 3)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(Bottleneck(8, 4, 1), Bottleneck(16, 4, 1))
        self.layer2 = Bottleneck(16, 8, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        x = self.layer2(self.layer1(self.pool(self.stem(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.norm1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, 2 * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(2 * growth)
        self.conv2 = nn.Conv2d(2 * growth, growth, 3, padding=1, bias=False)

    def forward(self, feats):
        x = torch.cat(feats, 1)
        return self.conv2(torch.relu(self.norm2(self.conv1(torch.relu(self.norm1(x))))))


class DenseNetMini(nn.Module):
    def __init__(self, classes=10, growth=4):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.layers = nn.ModuleList([DenseLayer(8 + i * growth, growth) for i in range(3)])
        c = 8 + 3 * growth
        self.transition = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1),
                                        nn.AvgPool2d(2, 2))
        self.norm = nn.BatchNorm2d(c // 2)
        self.classifier = nn.Linear(c // 2, classes)

    def forward(self, x):
        feats = [self.conv0(x)]
        for layer in self.layers:
            feats.append(layer(feats))
        x = torch.relu(self.norm(self.transition(torch.cat(feats, 1))))
        return self.classifier(x.mean((2, 3)))


class InceptionBlock(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.b1 = nn.Conv2d(cin, 4, 1)
        self.b2 = nn.Sequential(nn.Conv2d(cin, 4, 1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(cin, 2, 1), nn.ReLU(), nn.Conv2d(2, 3, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(cin, 3, 1))

    def forward(self, x):
        return torch.relu(torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1))


class InceptionMini(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, ceil_mode=True))
        self.a, self.b = InceptionBlock(8), InceptionBlock(16)
        self.pool = nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
        self.fc = nn.Linear(16 * 5 * 5, classes)
        self.drop = nn.Dropout(0.4)

    def forward(self, x):
        x = self.pool(self.b(self.a(self.stem(x))))
        return self.fc(self.drop(x.reshape(x.shape[0], -1)))


class Fire(nn.Module):
    def __init__(self, cin, s, e):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, s, 1)
        self.expand1x1, self.expand3x3 = nn.Conv2d(s, e, 1), nn.Conv2d(s, e, 3, padding=1)

    def forward(self, x):
        x = torch.relu(self.squeeze(x))
        return torch.cat([torch.relu(self.expand1x1(x)), torch.relu(self.expand3x3(x))], 1)


class SqueezeNetMini(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, 2), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, ceil_mode=True), Fire(8, 4, 8),
                                      Fire(16, 4, 8), nn.MaxPool2d(3, 2, ceil_mode=True),
                                      Fire(16, 6, 12))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(24, classes, 1), nn.ReLU(),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


def channel_shuffle(x, groups):
    b, c, h, w = x.shape
    x = x.view(b, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(b, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch = nn.Sequential(_cbr(h, h, 1), _cbr(h, h, 3, 1, 1, groups=h, relu=False),
                                    _cbr(h, h, 1))

    def forward(self, x):
        a, b = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat([a, self.branch(b)], 1), 2)


class ShuffleNetMini(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = _cbr(3, 8, 3, 2, 1)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.stage = nn.Sequential(ShuffleUnit(8), ShuffleUnit(8))
        self.conv5 = _cbr(8, 16, 1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.conv5(self.stage(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


class VGGMini(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        cfg, layers, c = [8, 8, "M", 16, 16, "M", 16, "M"], [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((2, 2))
        self.classifier = nn.Sequential(nn.Linear(16 * 4, 32), nn.ReLU(True), nn.Dropout(),
                                        nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(),
                                        nn.Linear(32, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class AlexNetMini(nn.Module):
    def __init__(self, classes=10, lrn=False):
        super().__init__()
        # the original AlexNet normalises after the first two convolutions; PyTorch
        # exports LocalResponseNorm as a 3-D average pool behind a shape test (If)
        norm = (lambda: nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0)) if lrn else nn.Identity
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 11, 4, 2), nn.ReLU(inplace=True), norm(), nn.MaxPool2d(3, 2),
            nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(inplace=True), norm(), nn.MaxPool2d(3, 2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(16 * 1 * 1, 32), nn.ReLU(True),
                                        nn.Linear(32, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# name -> (constructor, input shape, the opsets it is exported at)
ARCHITECTURES = {
    "resnet": (ResNetMini, (2, 3, 32, 32), (9, 17)),
    "densenet": (DenseNetMini, (2, 3, 16, 16), (11, 13)),
    "inception": (InceptionMini, (2, 3, 32, 32), (10, 13)),
    "squeezenet": (SqueezeNetMini, (2, 3, 33, 33), (11, 17)),
    "shufflenet": (ShuffleNetMini, (2, 3, 32, 32), (9, 13)),
    "vgg": (VGGMini, (2, 3, 16, 16), (11, 17)),
    "alexnet": (AlexNetMini, (2, 3, 63, 63), (9, 13)),
    "alexnet-lrn": (lambda: AlexNetMini(lrn=True), (2, 3, 63, 63), (9, 17)),
}


def build(name, seed=0):
    """A randomly initialised model in eval mode with non-trivial BN statistics."""
    ctor, shape, _ = ARCHITECTURES[name]
    torch.manual_seed(seed)
    m = ctor()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    return m.eval(), torch.randn(*shape)


def export(model, x, opset, **kw):
    """torch.onnx.export (the TorchScript exporter) into bytes."""
    import io
    import warnings
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buf, dynamo=False, opset_version=opset,
                          input_names=["x"], output_names=["y"], **kw)
    return buf.getvalue()
