"""A PyTorch model taken through ONNX into fastnn, then fine-tuned there.

    python examples/onnx_import_finetune.py [--quick]

1. PyTorch builds a small CNN (conv, batch norm, pooling, dropout, linear) and
   trains it briefly on the bundled 8x8 digits -- on the digits 0-4 only.
2. torch.onnx.export writes it as ONNX; fastnn.onnx.load turns the file into a
   fastnn nn.Module. Its predictions equal PyTorch's, and its state_dict keys
   are PyTorch's (conv1.weight, bn1.running_mean, ...).
3. fastnn fine-tunes the imported model on all ten digits with its own
   optimizer and autograd (batch norm in training mode updates its running
   statistics, dropout drops), and the test accuracy on the digits 5-9 rises.
4. The fine-tuned weights go back into the PyTorch model through state_dict.

Needs torch and onnx (pip install "fastnn[onnx]"); without them it says so
and exits.
"""
import argparse
import io
import sys
import warnings

import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn.datasets import load_digits


def _need(*names):
    missing = []
    for n in names:
        try:
            __import__(n)
        except ImportError:
            missing.append(n)
    if missing:
        print(f"this example needs {', '.join(missing)} (pip install torch \"fastnn[onnx]\"); "
              "skipping")
        sys.exit(0)


def torch_model():
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16)
            self.conv2, self.bn2 = nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32)
            self.drop = nn.Dropout(0.25)
            self.fc = nn.Linear(32 * 2 * 2, 10)

        def forward(self, x):
            x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
            x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
            return self.fc(self.drop(torch.flatten(x, 1)))

    torch.manual_seed(0)
    return Net()


def pretrain_in_torch(model, x, y, epochs):
    import torch
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        for i in range(0, len(x), 32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[i:i + 32]), yt[i:i + 32]).backward()
            opt.step()
    return model.eval()


def accuracy(model, x, y):
    model.eval()
    with fastnn.no_grad():
        return float((model(fastnn.tensor(x)).numpy().argmax(1) == y).mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer epochs (a smoke run)")
    args = ap.parse_args(argv)
    _need("torch", "onnx")
    import torch
    import fastnn.onnx

    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    low = y_train < 5
    net = pretrain_in_torch(torch_model(), x_train[low], y_train[low], 1 if args.quick else 3)

    # --- PyTorch -> ONNX -> fastnn ---
    # the TorchScript exporter (dynamo=False) needs no onnxscript; without constant
    # folding the batch norms stay BatchNormalization nodes, so they fine-tune
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.from_numpy(x_test[:1]),), buf, dynamo=False,
                          opset_version=17, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}}, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
    model = fastnn.onnx.load(buf.getvalue())
    with torch.no_grad():
        want = net(torch.from_numpy(x_test)).numpy()
    with fastnn.no_grad():
        got = model(fastnn.tensor(x_test)).numpy()
    print(f"imported {len(list(model.parameters()))} parameters, "
          f"{len(list(model.buffers()))} buffers; max |fastnn - torch| = "
          f"{np.abs(got - want).max():.2e}")
    print("state_dict keys:", ", ".join(list(model.state_dict())[:4]), "...")
    high = y_test >= 5
    before = accuracy(model, x_test[high], y_test[high])
    print(f"test accuracy on digits 5-9 before fine-tuning: {before:.3f}")

    # --- fine-tune in fastnn on all ten digits ---
    opt = fastnn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    for epoch in range(2 if args.quick else 6):
        model.train()
        order = rng.permutation(len(x_train))
        total = 0.0
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss = F.cross_entropy(model(fastnn.tensor(x_train[idx])), fastnn.tensor(y_train[idx]))
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(order):.4f}")
    after = accuracy(model, x_test[high], y_test[high])
    print(f"test accuracy on digits 5-9 after fine-tuning: {after:.3f}")
    print(f"test accuracy on all digits: {accuracy(model, x_test, y_test):.3f}")

    # --- and back into PyTorch ---
    net.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                         for k, v in model.state_dict().items()}, strict=False)
    with torch.no_grad():
        back = net(torch.from_numpy(x_test)).numpy()
    with fastnn.no_grad():
        ours = model(fastnn.tensor(x_test)).numpy()
    print(f"fine-tuned weights back in PyTorch: max |torch - fastnn| = "
          f"{np.abs(back - ours).max():.2e}")
    return before, after


if __name__ == "__main__":
    main()
