"""Fused inference kernels for small inputs, run as one program per chain of
layers: conv + bias [+ ReLU] [+ max pool, window = stride] as a direct
convolution over a zero-padded channels-last buffer (no im2col matrix), and
Linear + bias [+ ReLU] vectorised over the outputs (fused_isa_body.h), one
build per ISA level of fastnn's CPU dispatch.

``build(dtype, in_shape, layers)`` plans the buffers and packs the weights
once and returns a ``Program``; ``program.run(x)`` then makes one Python -> C
call for the whole chain and returns a new array. ``layers`` is a list of
``Conv``, ``Flatten`` and ``Linear``:

* a conv's output goes straight into the next conv's padded input buffer
  (channels last), into a channels-last buffer that a ``Flatten`` hands to a
  Linear as rows (the Linear's weight columns must then be in (h, w, c)
  order, see ``nhwc_columns``), or, last, into the NCHW output;
* the first conv's NCHW input is copied into its padded buffer; a first
  Linear reads the input's rows directly.

Threads: an op of FASTNN_PAR_MIN_MACS multiply-adds or more (parallel.h)
splits its output positions or rows over an OpenMP team, smaller ones run on
the calling thread. fastnn.compile's rule for when to use these kernels is
in fastnn/compiler/_native.py.
Reference: fastnn/backends/numpy_ref/conv.py, pool.py, gemm.py.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from ._fused import ALIGN, Program

__all__ = ["Conv", "Flatten", "Linear", "Program", "build", "nhwc_columns", "aligned_zeros"]


class Conv(NamedTuple):
    """conv2d (w: [out, in, kh, kw]) + bias [+ ReLU] [+ max pool with window
    = stride ``pool`` (kh, kw)]; a 3-D input is conv1d (kh = 1)."""
    w: np.ndarray
    b: Optional[np.ndarray]
    stride: Tuple[int, int] = (1, 1)
    padding: Tuple[int, int] = (0, 0)
    dilation: Tuple[int, int] = (1, 1)
    pool: Optional[Tuple[int, int]] = None
    relu: bool = False


class Flatten(NamedTuple):
    """A conv output's flatten for the Linear after it, in channels-last order."""


class Linear(NamedTuple):
    """y = x w^T + b [then ReLU]; w: [out, in]."""
    w: np.ndarray
    b: Optional[np.ndarray]
    relu: bool = False


Layer = Union[Conv, Flatten, Linear]


def aligned_zeros(size: int, dtype) -> np.ndarray:
    """A zeroed 1-d array of ``size`` elements starting on a 64-byte boundary."""
    dtype = np.dtype(dtype)
    raw = np.zeros(size + 64 // dtype.itemsize, dtype)
    skip = (-raw.ctypes.data % 64) // dtype.itemsize
    return raw[skip:skip + size]


def _round_up(v: int) -> int:
    return -(-v // ALIGN) * ALIGN


def nhwc_columns(w: np.ndarray, c: int, h: int, wd: int) -> np.ndarray:
    """A Linear weight [out, c*h*w] reading an NCHW flatten, with its columns
    reordered for the channels-last flatten of the same tensor."""
    out = w.shape[0]
    return np.ascontiguousarray(w.reshape(out, c, h, wd).transpose(0, 2, 3, 1).reshape(out, -1))


def _pack_bias(b, n: int, dtype) -> np.ndarray:
    bp = aligned_zeros(_round_up(n), dtype)
    if b is not None:
        bp[:n] = b
    return bp


def _pack_conv(w: np.ndarray, dtype) -> np.ndarray:
    """[out, in, kh, kw] -> [kh][kw][in][coutp], zero-padded output channels."""
    cout, c, kh, kw = w.shape
    coutp = _round_up(cout)
    wp = aligned_zeros(kh * kw * c * coutp, dtype)
    wp.reshape(kh, kw, c, coutp)[..., :cout] = w.transpose(2, 3, 1, 0)
    return wp


def _pack_linear(w: np.ndarray, dtype) -> np.ndarray:
    """[out, in] -> [in][outp], zero-padded outputs."""
    out, n_in = w.shape
    wp = aligned_zeros(n_in * _round_up(out), dtype)
    wp.reshape(n_in, -1)[:, :out] = w.T
    return wp


def _pair(v, name: str) -> Tuple[int, int]:
    t = tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v), int(v))
    if len(t) != 2:
        raise ValueError(f"{name}: expected an int or a pair, got {v!r}")
    return t  # type: ignore[return-value]


def build(dtype, in_shape: Sequence[int], layers: Sequence[Layer]) -> Program:
    """The Program running ``layers`` on inputs of ``in_shape`` and ``dtype``
    (float32 or float64); see the module docstring."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype: expected float32 or float64, got {dtype}")
    layers = list(layers)
    if not layers:
        raise ValueError("layers: expected at least one layer")
    shape = tuple(int(d) for d in in_shape)
    one_d = len(shape) == 3 and isinstance(layers[0], Conv)
    # pass 1: every layer's input shape; a conv's padded channels-last buffer
    geo: list = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Conv):
            if i and not isinstance(layers[i - 1], Conv):
                raise ValueError(f"layers[{i}]: a Conv must come first or after a Conv")
            s4 = (shape[0], shape[1], 1, shape[2]) if one_d and len(shape) == 3 else shape
            w = np.asarray(layer.w)
            if len(s4) != 4 or w.ndim != 4 or w.shape[1] != s4[1]:
                raise ValueError(f"layers[{i}]: expected an input [n, {w.shape[1] if w.ndim == 4 else 'c'}"
                                 f", h, w] and a 4-d weight, got input {shape}, weight {w.shape}")
            n, c, h, wd = s4
            cout, _, kh, kw = w.shape
            (sh, sw), (ph, pw) = _pair(layer.stride, "stride"), _pair(layer.padding, "padding")
            (dh, dw), (qh, qw) = _pair(layer.dilation, "dilation"), _pair(layer.pool or 1, "pool")
            hp, wp = h + 2 * ph, wd + 2 * pw
            oh = ((hp - dh * (kh - 1) - 1) // sh + 1) // qh
            ow = ((wp - dw * (kw - 1) - 1) // sw + 1) // qw
            if min(sh, sw, dh, dw, qh, qw) < 1 or min(ph, pw) < 0 or oh < 1 or ow < 1:
                raise ValueError(f"layers[{i}]: no output for input {shape} with kernel "
                                 f"{(kh, kw)}, stride {(sh, sw)}, padding {(ph, pw)}, "
                                 f"dilation {(dh, dw)}, pool {(qh, qw)}")
            geo.append(dict(n=n, c=c, h=h, w=wd, ph=ph, pw=pw, hp=hp, wp=wp, kh=kh, kw=kw,
                            sh=sh, sw=sw, dh=dh, dw=dw, cout=cout, qh=qh, qw=qw, oh=oh, ow=ow,
                            buf=aligned_zeros(n * hp * wp * c, dtype)))
            shape = (n, cout, ow) if one_d else (n, cout, oh, ow)
        elif isinstance(layer, Flatten):
            if not i or not isinstance(layers[i - 1], Conv) or i + 1 < len(layers) \
                    and not isinstance(layers[i + 1], Linear):
                raise ValueError(f"layers[{i}]: a Flatten must follow a Conv and come last "
                                 f"or before a Linear")
            geo.append(None)
            shape = (shape[0], int(np.prod(shape[1:])))
        elif isinstance(layer, Linear):
            w = np.asarray(layer.w)
            if w.ndim != 2 or shape[-1] != w.shape[1]:
                raise ValueError(f"layers[{i}]: a Linear weight [out, {shape[-1]}] for input "
                                 f"{shape}, got {w.shape}")
            geo.append(None)
            shape = shape[:-1] + (w.shape[0],)
        else:
            raise TypeError(f"layers[{i}]: expected Conv, Flatten or Linear, got "
                            f"{type(layer).__name__}")
    out_shape = shape
    # pass 2: the ops, each writing where the next reads
    ops: list = []
    src: object = "in"
    rows_in = int(np.prod(in_shape[:-1])) if len(in_shape) > 1 else 1
    for i, layer in enumerate(layers):
        last = i + 1 == len(layers)
        nxt = None if last else layers[i + 1]
        if isinstance(layer, Conv):
            g = geo[i]
            if i == 0:
                ops.append(("pack", tuple(g[k] for k in ("n", "c", "h", "w", "ph", "pw", "hp", "wp")),
                            "in", (g["buf"], 0)))
            cout, oh, ow, n = g["cout"], g["oh"], g["ow"], g["n"]
            if isinstance(nxt, Conv):
                g2 = geo[i + 1]
                row = g2["wp"] * cout
                dst: object = (g2["buf"], (g2["ph"] * g2["wp"] + g2["pw"]) * cout)
                ys = (g2["hp"] * row, row, cout, 1)
            elif isinstance(nxt, Flatten):
                ys = (oh * ow * cout, ow * cout, cout, 1)
                dst = "out" if i + 2 == len(layers) else (aligned_zeros(n * oh * ow * cout, dtype), 0)
                src = dst
            else:
                ys = (cout * oh * ow, ow, 1, oh * ow)
                dst = "out"
            wt = _pack_conv(np.asarray(layer.w), dtype)
            gv = [g[k] for k in ("n", "c", "hp", "wp", "kh", "kw", "sh", "sw", "dh", "dw")]
            gv += [cout, _round_up(cout), g["qh"], g["qw"], oh, ow, *ys, int(bool(layer.relu))]
            ops.append(("conv", tuple(gv), wt, _pack_bias(layer.b, cout, dtype), (g["buf"], 0), dst))
            rows_in = n
        elif isinstance(layer, Linear):
            w = np.asarray(layer.w)
            out, n_in = w.shape
            rows = rows_in
            dst = "out" if last else (aligned_zeros(rows * out, dtype), 0)
            ops.append(("linear", (rows, n_in, out, _round_up(out), n_in, out, int(bool(layer.relu))),
                        _pack_linear(w, dtype), _pack_bias(layer.b, out, dtype), src, dst))
            src = dst
    return Program(dtype, tuple(int(d) for d in in_shape), out_shape, ops)
