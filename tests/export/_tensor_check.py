"""Shared by the tensor-op C export tests: a model ``fn(linear(x))`` (or
``fn(x)``) written once against the ``lib`` it is given, so the same lambda
runs on fastnn and on PyTorch; export, build, run, compare with both."""

import numpy as np

import fastnn
from fastnn import nn

import _c_build as _build

try:
    import torch
except ImportError:  # the PyTorch comparisons are skipped without it
    torch = None


class Net(nn.Module):
    """``fn(fc(x), fastnn)`` with every output cast to float32."""

    def __init__(self, fn, features=None):
        super().__init__()
        self.fc = nn.Linear(features, features) if features else None
        self.fn = fn

    def forward(self, x):
        h = self.fc(x) if self.fc is not None else x
        out = self.fn(h, fastnn)
        return tuple(o.float() for o in (out if isinstance(out, (tuple, list)) else (out,)))


def _flat(outs):
    return np.concatenate([np.asarray(o, np.float32).reshape(-1) for o in outs])


def fastnn_forward(net, x):
    with fastnn.no_grad():
        return _flat([o.numpy() for o in net(fastnn.tensor(x))])


def torch_forward(net, x):
    h = torch.from_numpy(np.ascontiguousarray(x))
    if net.fc is not None:
        h = torch.nn.functional.linear(h, torch.from_numpy(net.fc.weight.detach().numpy()),
                                       torch.from_numpy(net.fc.bias.detach().numpy()))
    out = net.fn(h, torch)
    out = out if isinstance(out, (tuple, list)) else (out,)
    return _flat([o.float().numpy() for o in out])


def check(net, xs, tmp_path, exact=False, with_torch=True, extra=()):
    """Export ``net`` at ``xs[0]``'s shape, build, run every ``xs[i]``: the C
    outputs equal fastnn's (and PyTorch's where installed) to 1e-4, or
    exactly with ``exact`` (indices, masks). NaN must meet NaN."""
    net.eval()
    xs = np.asarray(xs, np.float32)
    info = fastnn.export.to_c(net, fastnn.tensor(xs[0]), str(tmp_path))
    exe = _build.build(str(tmp_path), extra=extra)
    size = sum(int(np.prod(s)) for s in info["output_shapes"])
    got = _build.run(exe, xs.reshape(len(xs), -1), size)
    refs = [fastnn_forward]
    if with_torch and torch is not None:
        refs.append(torch_forward)
    for ref in refs:
        want = np.stack([ref(net, x) for x in xs])
        if exact:
            np.testing.assert_array_equal(got, want, err_msg=ref.__name__)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=ref.__name__)
    return got


def inputs(shape, n=3, seed=0):
    return np.random.default_rng(seed).standard_normal((n,) + tuple(shape)).astype(np.float32)
