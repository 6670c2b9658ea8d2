"""summary(model, input_shape): a per-layer table of output shapes, parameters and cost.

A forward pass on zeros (under no_grad, every module temporarily in eval mode
so BatchNorm statistics are untouched) is observed with forward hooks on each
leaf module (and on any container that owns parameters directly). One row per
call, in call order.

FLOPs are for one forward pass: a multiply-add counts as 2 FLOPs (so a Linear
layer costs 2*in*out per sample); bias adds, activations, normalisation,
pooling and softmax count one FLOP per elementary operation. Layers whose cost
is unknown show "-" and count 0 in the total. Activation memory is the size in
bytes of each layer's output.
"""
import math

import numpy as np

from .._tensor import Tensor, get_default_dtype

__all__ = ["summary", "SummaryInfo"]


# --- FLOP counters: fn(module, inputs, output) -> int ---------------------------------
def _numel(t):
    return int(t._data.size) if isinstance(t, Tensor) else 0


def _first_tensor(x):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for item in x:
            t = _first_tensor(item)
            if t is not None:
                return t
    return None


def _linear_flops(m, inputs, out):
    n = _numel(out)
    return 2 * m.in_features * n + (n if m.bias is not None else 0)


def _conv_flops(m, inputs, out):
    n = _numel(out)
    per_output = (m.in_channels // m.groups) * math.prod(m.kernel_size)
    return 2 * per_output * n + (n if m.bias is not None else 0)


def _norm_flops(m, inputs, out):
    affine = getattr(m, "weight", None) is not None
    # mean, variance (2 per element), normalise (2), optional scale and shift (2)
    return _numel(_first_tensor(inputs)) * (4 + (2 if affine else 0))


def _pool_flops(m, inputs, out):
    k = m.kernel_size
    dims = 1 if type(m).__name__.endswith("1d") else 2
    k = math.prod(k) if isinstance(k, (tuple, list)) else k ** dims
    return _numel(out) * k


def _elementwise(cost):
    return lambda m, inputs, out: cost * _numel(_first_tensor(out))


def _input_elementwise(m, inputs, out):
    return _numel(_first_tensor(inputs))


def _rnn_flops(m, inputs, out):
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}.get(type(m).__name__)
    x = _first_tensor(inputs)
    if gates is None or x is None:
        return None
    steps = _numel(x) // max(1, m.input_size)  # seq_len * batch
    dirs = 2 if getattr(m, "bidirectional", False) else 1
    h = m.hidden_size
    total = 0
    for layer in range(m.num_layers):
        in_size = m.input_size if layer == 0 else h * dirs
        # the gate GEMMs dominate; elementwise gate math adds ~gates*h more per step
        total += dirs * steps * (2 * gates * h * (in_size + h) + 4 * gates * h)
    return total


def _cell_flops(m, inputs, out):
    gates = {"RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}.get(type(m).__name__)
    x = _first_tensor(inputs)
    if gates is None or x is None:
        return None
    batch = _numel(x) // max(1, m.input_size)
    h = m.hidden_size
    return batch * (2 * gates * h * (m.input_size + h) + 4 * gates * h)


_FLOP_COUNTERS = {
    "Linear": _linear_flops,
    "Conv1d": _conv_flops, "Conv2d": _conv_flops,
    "BatchNorm1d": _norm_flops, "BatchNorm2d": _norm_flops, "LayerNorm": _norm_flops,
    "Bilinear": lambda m, inputs, out: (2 * m.in1_features * m.in2_features + 2 * m.in2_features
                                        + (1 if m.bias is not None else 0)) * _numel(out),
    "MaxPool1d": _pool_flops, "MaxPool2d": _pool_flops, "AvgPool2d": _pool_flops,
    "AdaptiveAvgPool2d": _input_elementwise,
    "ReLU": _elementwise(1), "LeakyReLU": _elementwise(2), "ELU": _elementwise(3),
    "Sigmoid": _elementwise(3), "Tanh": _elementwise(5), "GELU": _elementwise(8),
    "SiLU": _elementwise(4), "Softmax": _elementwise(3), "LogSoftmax": _elementwise(3),
    "Softmin": _elementwise(3), "Hardtanh": _elementwise(2), "ReLU6": _elementwise(2),
    "SELU": _elementwise(4), "Softplus": _elementwise(4), "LogSigmoid": _elementwise(4),
    "Mish": _elementwise(8),
    "Dropout": _elementwise(0), "Flatten": _elementwise(0), "Unflatten": _elementwise(0),
    "Identity": _elementwise(0), "Embedding": _elementwise(0),
    "RNN": _rnn_flops, "LSTM": _rnn_flops, "GRU": _rnn_flops,
    "RNNCell": _cell_flops, "LSTMCell": _cell_flops, "GRUCell": _cell_flops,
}


def register_flop_counter(cls_name, fn):
    """Teach summary the cost of a custom layer: ``fn(module, inputs, output) -> int``."""
    _FLOP_COUNTERS[cls_name] = fn


# --- formatting -----------------------------------------------------------------------
def _shape_of(x):
    if isinstance(x, Tensor):
        return tuple(x.shape)
    if isinstance(x, (tuple, list)):
        return [_shape_of(item) for item in x]
    return None


def _shape_str(shape):
    if shape is None:
        return "-"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _bytes_of(x):
    if isinstance(x, Tensor):
        return int(x._data.nbytes)
    if isinstance(x, (tuple, list)):
        return sum(_bytes_of(item) for item in x)
    return 0


def _human_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024.0


def _human_count(n):
    if n is None:
        return "-"
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.2f} {unit}"
    return str(int(n))


class SummaryInfo:
    """What summary() measured; ``str(info)`` is the printed table.

    ``layers`` is a list of dicts with keys name, type, output_shape, params,
    trainable_params, flops (None when unknown) and activation_bytes.
    """

    def __init__(self, model_name, layers, input_shapes, total_params, trainable_params,
                 input_bytes, param_bytes):
        self.model_name = model_name
        self.layers = layers
        self.input_shapes = input_shapes
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.total_flops = sum(r["flops"] or 0 for r in layers)
        self.activation_bytes = sum(r["activation_bytes"] for r in layers)
        self.input_bytes = input_bytes
        self.param_bytes = param_bytes

    def to_dict(self):
        return {k: getattr(self, k) for k in (
            "model_name", "layers", "input_shapes", "total_params", "trainable_params",
            "non_trainable_params", "total_flops", "activation_bytes", "input_bytes",
            "param_bytes")}

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __str__(self):
        header = ("Layer (type)", "Output Shape", "Param #", "FLOPs", "Act. memory")
        rows = []
        for r in self.layers:
            label = f"{r['name']} ({r['type']})" if r["name"] else r["type"]
            rows.append((label, _shape_str(r["output_shape"]), f"{r['params']:,}",
                         "-" if r["flops"] is None else f"{r['flops']:,}",
                         _human_bytes(r["activation_bytes"])))
        widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
                  for i in range(len(header))]

        def fmt(cols):  # names and shapes left-aligned, numbers right-aligned
            left = "  ".join(c.ljust(w) for c, w in zip(cols[:2], widths[:2]))
            return left + "  " + "  ".join(c.rjust(w) for c, w in zip(cols[2:], widths[2:]))

        line_len = sum(widths) + 2 * (len(widths) - 1)
        out = [f'Model: "{self.model_name}"', "=" * line_len, fmt(header), "=" * line_len]
        out += [fmt(row) for row in rows]
        out += ["=" * line_len,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"Total FLOPs (forward; multiply-add = 2 FLOPs): {self.total_flops:,}"
                + (f" ({_human_count(self.total_flops)})" if self.total_flops >= 1000 else ""),
                "-" * line_len,
                f"Input size: {_human_bytes(self.input_bytes)}",
                f"Activation memory (layer outputs): {_human_bytes(self.activation_bytes)}",
                f"Parameter + buffer memory: {_human_bytes(self.param_bytes)}",
                f"Estimated total: {_human_bytes(self.input_bytes + self.activation_bytes + self.param_bytes)}",
                "=" * line_len]
        return "\n".join(out)

    __repr__ = __str__


def _make_inputs(input_shape, dtype, like):
    from .modules.module import move_array
    device = "cpu" if like is None or isinstance(like, np.ndarray) else "cuda"
    if isinstance(input_shape, (list, tuple)) and input_shape and \
            all(isinstance(s, (list, tuple)) for s in input_shape):
        shapes = [tuple(int(d) for d in s) for s in input_shape]
    elif isinstance(input_shape, (list, tuple)):
        shapes = [tuple(int(d) for d in input_shape)]
    else:
        raise TypeError("summary: input_shape must be a shape tuple (batch included), or a "
                        f"list of them for several inputs; got {input_shape!r}")
    dtypes = dtype if isinstance(dtype, (list, tuple)) else [dtype] * len(shapes)
    if len(dtypes) != len(shapes):
        raise ValueError(f"summary: {len(shapes)} input shapes but {len(dtypes)} dtypes")
    inputs = []
    for shape, dt in zip(shapes, dtypes):
        if any(d < 0 for d in shape):
            raise ValueError(f"summary: negative size in input shape {shape}")
        if dt is None:  # follow the model's float dtype (a .double() model gets float64)
            dt = like.dtype if like is not None and like.dtype.kind == "f" else get_default_dtype()
        arr = np.zeros(shape, dtype=np.dtype(dt))
        inputs.append(Tensor._wrap(move_array(arr, device=device)))
    return shapes, inputs


def summary(model, input_shape, dtype=None, print_fn=print, verbose=True, batch_size=None):
    """Run ``model`` on zeros of ``input_shape`` and tabulate every layer.

    ``input_shape`` includes the batch dimension, e.g. ``(1, 3, 32, 32)``; pass a
    list of shapes for a model taking several inputs, and ``dtype`` (e.g.
    ``fastnn.int64`` for an Embedding) when the input is not float. With
    ``batch_size``, ``input_shape`` is per sample (Keras style) and the batch
    dimension is prepended. Prints the
    table with ``print_fn`` when ``verbose`` and returns a :class:`SummaryInfo`.
    """
    from ..autograd.grad_mode import no_grad
    from .modules.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    first = next(model.parameters(), None)
    like = first._data if first is not None else None
    if batch_size is not None:
        per_sample = input_shape if input_shape and isinstance(input_shape[0], (list, tuple)) \
            else [input_shape]
        input_shape = [(int(batch_size),) + tuple(s) for s in per_sample]
    shapes, inputs = _make_inputs(input_shape, dtype, like)

    rows = []
    handles = []
    modes = {}
    named = list(model.named_modules())

    def pre_hook(name):
        def hook(module, args):
            rows.append({"name": name, "type": type(module).__name__, "output_shape": None,
                         "params": 0, "trainable_params": 0, "flops": None,
                         "activation_bytes": 0, "_module": module})
        return hook

    def post_hook(module, args, output):
        # the innermost open row for this module is the last one it pushed
        for r in reversed(rows):
            if r.get("_module") is module and r["output_shape"] is None:
                # counted after forward: lazily built layers create parameters on first call
                own = list(module.parameters(recurse=False))
                r["params"] = sum(p.numel() for p in own)
                r["trainable_params"] = sum(p.numel() for p in own if p.requires_grad)
                r["output_shape"] = _shape_of(output)
                r["activation_bytes"] = _bytes_of(output)
                counter = _FLOP_COUNTERS.get(type(module).__name__)
                if counter is not None:
                    flops = counter(module, args, output)
                    r["flops"] = None if flops is None else int(flops)
                break

    try:
        for name, m in named:
            modes[id(m)] = (m, m.training)
            m.training = False
            has_children = any(True for _ in m.children())
            if not has_children or any(True for _ in m.parameters(recurse=False)):
                handles.append(m.register_forward_pre_hook(pre_hook(name)))
                handles.append(m.register_forward_hook(post_hook))
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes.values():
            m.training = mode
    for r in rows:
        r.pop("_module", None)

    params = list(model.parameters())
    buffers = list(model.buffers())
    info = SummaryInfo(
        type(model).__name__, rows, shapes,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        input_bytes=sum(int(t._data.nbytes) for t in inputs),
        param_bytes=sum(int(t._data.nbytes) for t in params + buffers))
    if verbose:
        print_fn(str(info))
    return info
