"""Train a small CNN in fastnn, export it to ONNX, run the file in onnxruntime.

The network (conv -> batch norm -> relu -> pool, twice, then two dense layers
with dropout) trains for a few epochs on the bundled 8x8 digits. It is then
traced once (fastnn.graph), printed as the op list the exporter sees, written
with ``fastnn.onnx.export`` with a dynamic batch axis, checked with onnx's
checker, and run by onnxruntime on the whole test set in one batch -- a batch
size it was not traced with. Both accuracies are printed, with the largest
difference between the two runtimes' logits.

Needs the optional packages onnx and onnxruntime (pip install "fastnn[onnx]" onnxruntime).

    python examples/onnx_export.py [--epochs N] [--out model.onnx] [--quick]
"""
import argparse
import os
import tempfile

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
import fastnn.optim as optim
from fastnn.datasets import load_digits
from fastnn.utils.data import DataLoader, TensorDataset


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.drop = nn.Dropout(0.25)
        self.fc1 = nn.Linear(32 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--out", help="where to write the .onnx file (default: a temp dir)")
    parser.add_argument("--quick", action="store_true", help="1 epoch on a subset (smoke test)")
    args = parser.parse_args(argv)
    try:
        import onnx
        import onnxruntime as ort
    except ImportError:
        raise SystemExit('this example needs onnx and onnxruntime: pip install "fastnn[onnx]" '
                         "onnxruntime")
    fastnn.manual_seed(0)

    x_train, y_train = load_digits("train")
    x_test, y_test = load_digits("test")
    epochs = args.epochs
    if args.quick:
        x_train, y_train, epochs = x_train[:256], y_train[:256], 1
    loader = DataLoader(TensorDataset(fastnn.tensor(x_train), fastnn.tensor(y_train)),
                        batch_size=32, shuffle=True)

    model = DigitsCNN()
    opt = optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: loss {total / len(loader):.3f}")

    # fastnn's own answer on the test set
    model.eval()
    with fastnn.no_grad():
        logits = model(fastnn.tensor(x_test)).numpy()
    acc_fastnn = float((logits.argmax(1) == y_test).mean())

    # what the exporter sees: one trace, batch axis symbolic
    example = fastnn.tensor(x_test[:4])
    print(fastnn.graph.trace(model, example, input_names=["image"]))

    out = args.out or os.path.join(tempfile.mkdtemp(), "digits_cnn.onnx")
    fastnn.onnx.export(model, example, out, input_names=["image"], output_names=["logits"],
                       dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    onnx.checker.check_model(onnx.load(out), full_check=True)
    print(f"wrote {out} ({os.path.getsize(out) / 1024:.1f} KiB), onnx checker: ok")

    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    ort_logits = session.run(None, {"image": x_test})[0]
    acc_ort = float((ort_logits.argmax(1) == y_test).mean())
    print(f"test accuracy, fastnn:      {acc_fastnn:.4f}")
    print(f"test accuracy, onnxruntime: {acc_ort:.4f}  (batch {len(x_test)}, traced at 4)")
    print(f"largest logit difference:   {np.abs(ort_logits - logits).max():.2e}")
    return acc_fastnn, acc_ort


if __name__ == "__main__":
    main()
