"""fastnn.summary / Module.summary: rows, shapes, parameter counts, FLOPs, side effects."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn


@pytest.fixture(autouse=True)
def _functional():
    try:
        import fastnn.nn.functional  # noqa: F401
    except ImportError as exc:  # pragma: no cover - until functional lands
        pytest.skip(f"fastnn.nn.functional not importable: {exc}")


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4),
                                      nn.ReLU(), nn.MaxPool2d(2))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 4 * 4, 5)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(self.flatten(self.features(x))))


def test_rows_shapes_params_flops():
    model = SmallCNN()
    lines = []
    info = model.summary((2, 3, 8, 8), print_fn=lines.append)
    rows = info.layers
    assert [(r["name"], r["type"]) for r in rows] == [
        ("features.0", "Conv2d"), ("features.1", "BatchNorm2d"), ("features.2", "ReLU"),
        ("features.3", "MaxPool2d"), ("flatten", "Flatten"), ("fc", "Linear"),
        ("drop", "Dropout")]
    assert [r["output_shape"] for r in rows] == [
        (2, 4, 8, 8), (2, 4, 8, 8), (2, 4, 8, 8), (2, 4, 4, 4), (2, 64), (2, 5), (2, 5)]
    assert [r["params"] for r in rows] == [3 * 4 * 9 + 4, 8, 0, 0, 0, 64 * 5 + 5, 0]
    # multiply-add = 2 FLOPs, + 1 per bias add
    conv_out = 2 * 4 * 8 * 8
    assert rows[0]["flops"] == 2 * (3 * 9) * conv_out + conv_out
    assert rows[5]["flops"] == 2 * 64 * 5 * 2 + 2 * 5
    assert rows[2]["flops"] == conv_out
    assert rows[3]["flops"] == 2 * 4 * 4 * 4 * 4
    assert rows[0]["activation_bytes"] == conv_out * 4
    assert info.total_params == sum(p.numel() for p in model.parameters()) == 445
    assert info.trainable_params == 445 and info.non_trainable_params == 0
    assert info.total_flops == sum(r["flops"] for r in rows)
    assert info.activation_bytes == sum(r["activation_bytes"] for r in rows)
    assert info.input_bytes == 2 * 3 * 8 * 8 * 4
    text = lines[0]
    assert text == str(info)
    assert "features.0 (Conv2d)" in text and "(2, 4, 8, 8)" in text
    assert "Total params: 445" in text and "multiply-add = 2 FLOPs" in text
    assert len(info) == 7 and info.to_dict()["total_params"] == 445


def test_no_side_effects():
    model = SmallCNN()
    bn = model.features[1]
    model.features[3].eval()  # a mixed mode must come back as it was
    info = fastnn.summary(model, (1, 3, 8, 8), verbose=False)
    assert info.total_params == 445
    assert model.training and not model.features[3].training and bn.training
    assert int(bn.num_batches_tracked._data) == 0
    np.testing.assert_array_equal(bn.running_mean._data, 0)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_frozen_params_shared_layers_and_int_inputs(capsys):
    lin = nn.Linear(3, 3)
    model = nn.Sequential(nn.Embedding(10, 3), lin, nn.Tanh(), lin)
    model[0].requires_grad_(False)
    info = nn.summary(model, (2, 4), dtype=fastnn.int64)
    out = capsys.readouterr().out
    assert "Non-trainable params: 30" in out
    assert [r["name"] for r in info.layers] == ["0", "1", "2", "1"]  # call order, shared twice
    assert info.total_params == 30 + 12  # counted once
    assert info.layers[0]["output_shape"] == (2, 4, 3)


def test_leaf_model_and_double_and_errors():
    info = fastnn.summary(nn.Linear(4, 2).double(), (3, 4), verbose=False)
    assert info.layers[0]["name"] == "" and info.layers[0]["activation_bytes"] == 3 * 2 * 8
    assert "Linear" in str(info)
    with pytest.raises(TypeError):
        fastnn.summary(lambda x: x, (1, 2))
    with pytest.raises(TypeError):
        fastnn.summary(nn.Linear(2, 2), 5)


def test_multiple_inputs_and_unknown_layer_flops():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)
            self.w = nn.Parameter(fastnn.ones(3))

        def forward(self, x, y):
            return self.a(x) * self.w + y

    info = fastnn.summary(Pair(), [(1, 2), (1, 3)], verbose=False)
    names = [(r["name"], r["type"]) for r in info.layers]
    assert names == [("", "Pair"), ("a", "Linear")]  # a container owning a parameter gets a row
    assert info.layers[0]["flops"] is None and info.layers[0]["params"] == 3
    assert " - " in str(info) or "-  " in str(info)
    assert info.total_params == 2 * 3 + 3 + 3


def test_batch_size_prepends_and_lazy_parameters_counted():
    class Lazy(nn.Module):
        def forward(self, x):
            if "w" not in self._parameters:  # built on the first call, like a Keras layer
                self.w = nn.Parameter(fastnn.ones(x.shape[-1]))
            return x * self.w

    info = fastnn.summary(nn.Sequential(Lazy(), nn.Linear(3, 2)), (3,), batch_size=4,
                          verbose=False)
    assert info.input_shapes == [(4, 3)]
    assert info.layers[0]["params"] == 3 and info.layers[1]["output_shape"] == (4, 2)
    assert info.total_params == 3 + 8
