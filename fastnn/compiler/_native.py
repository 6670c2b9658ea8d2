"""fastnn.compile's native steps: the layers that fastnn's fused inference
kernels (backends/native/fused) take, and the merging of a run of them into
one Program, so that a chain like conv-conv-flatten-linear-linear costs one
Python -> C call.

Which layers (the rule, per plan, so per input shape):

* conv2d/conv1d with groups 1 (+ bias, ReLU, max pool with window = stride),
  and Linear (+ ReLU), in float32 or float64, weights of the input's dtype;
* the packed weights at most 256 KiB (the smallest per-core L2 of the CPUs
  fastnn targets) when they are read more than once per call. The fused
  kernels are register-tiled products that read the input in place: no
  im2col gather, no packing, no NumPy call per layer, so they do the same
  multiply-adds as gather + BLAS with none of its fixed costs. What they do
  not do is block the weights for the cache: they stream all of them for
  every tile of 4 output pixels (or 4 rows), so the weights must stay in L2
  or the loop waits on memory; past that, the blocked GEMMs (gather + BLAS,
  fastnn's conv with Winograd) win. A Linear on at most 4 rows reads its
  weights once: any size.

Threads follow fastnn's one policy inside the kernels (_fused.pyx): an op of
FASTNN_PAR_MIN_MACS multiply-adds or more splits its output positions over a
team; a small model at batch 1 stays on one thread, where a team's wake-up
would cost more than the whole layer.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, List, Optional, Sequence, Tuple, cast

import numpy as np

L2_BYTES = 256 * 1024  # see the rule above
_FEW_ROWS = 4  # a Linear on this many rows reads its weights once (one row tile)
ENABLED = True  # tests switch the native steps off to check the other paths


def _fused() -> Any:
    """fastnn.backends.native.fused (a module), or None where the extension is
    not built."""
    try:
        from ..backends.native import fused
    except ImportError:
        return None
    return fused


class NativeOp:
    """One layer for the fused kernels: ``layer`` (fused.Conv / Flatten /
    Linear), its input shape and dtype. Called alone it maps its NCHW (or
    row) input to its NCHW (or row) output; merge() runs several as one
    Program instead."""

    def __init__(self, layer: Any, in_shape: Tuple[int, ...], dtype: np.dtype) -> None:
        self.layer = layer
        self.in_shape = in_shape
        self.dtype = dtype
        self._run: Optional[Callable[[np.ndarray], np.ndarray]] = None

    @property
    def kind(self) -> str:
        return type(self.layer).__name__

    def follows(self, prev: NativeOp) -> bool:
        """Whether a Program can run this layer straight after ``prev``."""
        if self.kind == "Conv":
            return prev.kind == "Conv"
        if self.kind == "Flatten":
            return prev.kind == "Conv"
        return prev.kind in ("Flatten", "Linear")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "Flatten":  # channels-last order, as the Linear after it expects
            return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(x.shape[0], -1)
        if self._run is None:
            self._run = segment([self])
        return self._run(x)


def segment(ops: Sequence[NativeOp]) -> Callable[[np.ndarray], np.ndarray]:
    """One Program for a run of ops (each follows the one before): its run."""
    fused = _fused()
    assert fused is not None
    return fused.build(ops[0].dtype, ops[0].in_shape, [op.layer for op in ops]).run


def _usable(dtype: np.dtype, *weights: Optional[np.ndarray]) -> bool:
    return (ENABLED and _fused() is not None and dtype in (np.float32, np.float64)
            and all(w is None or w.dtype == dtype for w in weights))


def conv_op(w: np.ndarray, b: Optional[np.ndarray], in_shape: Tuple[int, ...], dtype: np.dtype,
            geo: Tuple[int, int, int, int, int, int], pool: Optional[Tuple[int, int]],
            relu: bool) -> Optional[NativeOp]:
    """A NativeOp for a groups-1 conv (w [out, in, kh, kw]; conv1d: kh = 1 and
    a 3-d input) + bias [+ ReLU] [+ pool], or None where the rule says no."""
    if not _usable(dtype, w, b) or w.ndim != 4:
        return None
    fused = _fused()
    sh, sw, ph, pw, dh, dw = geo
    c = in_shape[1]
    h, wd = (1, in_shape[2]) if len(in_shape) == 3 else in_shape[2:]
    cout, cw, kh, kw = w.shape
    qh, qw = pool or (1, 1)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if cw != c or oh // qh < 1 or ow // qw < 1:
        return None
    packed = kh * kw * c * -(-cout // fused.ALIGN) * fused.ALIGN * dtype.itemsize
    if packed > L2_BYTES:
        return None
    layer = fused.Conv(w, b, (sh, sw), (ph, pw), (dh, dw), pool, relu)
    return NativeOp(layer, tuple(in_shape), dtype)


def linear_op(w: np.ndarray, b: Optional[np.ndarray], in_shape: Tuple[int, ...],
              dtype: np.dtype, relu: bool) -> Optional[NativeOp]:
    """A NativeOp for x w^T + b [+ ReLU] on an input of in_shape, or None."""
    if not _usable(dtype, w, b) or w.ndim != 2 or not in_shape or in_shape[-1] != w.shape[1]:
        return None
    fused = _fused()
    rows = int(np.prod(in_shape[:-1])) if len(in_shape) > 1 else 1
    packed = w.shape[1] * -(-w.shape[0] // fused.ALIGN) * fused.ALIGN * dtype.itemsize
    if rows > _FEW_ROWS and packed > L2_BYTES:
        return None
    return NativeOp(fused.Linear(w, b, relu), tuple(in_shape), dtype)


def flatten_op(in_shape: Tuple[int, ...], dtype: np.dtype) -> NativeOp:
    """The flatten of a native conv's output for the native Linear after it."""
    fused = _fused()
    assert fused is not None
    return NativeOp(fused.Flatten(), tuple(in_shape), dtype)


def conv_geometry(attrs: dict, one_d: bool) -> Optional[Tuple[int, int, int, int, int, int]]:
    """(sh, sw, ph, pw, dh, dw) of a conv's resolved attrs; None for groups
    other than 1 or a string padding."""
    if int(attrs["groups"]) != 1 or isinstance(attrs["padding"], str):
        return None

    def pair(v: Any) -> Tuple[int, int]:
        t = tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),)
        t = (1,) + t if one_d and len(t) == 1 else t
        return (t[0], t[-1]) if len(t) in (1, 2) else (-1, -1)
    (sh, sw), (dh, dw) = pair(attrs["stride"]), pair(attrs["dilation"])
    ph, pw = pair(attrs["padding"])
    if one_d:
        ph = 0
    if min(sh, sw, dh, dw) < 1 or min(ph, pw) < 0:
        return None
    return sh, sw, ph, pw, dh, dw


Step = Tuple[Callable[..., Any], Tuple[int, ...], Tuple[int, ...]]


def merge(steps: List[Step], kept: Sequence[Optional[int]]) -> List[Step]:
    """Runs of NativeOp steps, each reading the previous one's output when
    nothing else reads it (no other step, not a plan output: ``kept``),
    become one Program step in the place of the run's last step."""
    readers = Counter(i for _, ins, _ in steps for i in ins)
    readers.update(s for s in kept if s is not None)
    producer = {outs[0]: k for k, (fn, _, outs) in enumerate(steps) if isinstance(fn, NativeOp)}
    prev = {}
    for k, (fn, ins, _) in enumerate(steps):
        if isinstance(fn, NativeOp) and len(ins) == 1:
            p = producer.get(ins[0])
            if p is not None and readers[ins[0]] == 1 and fn.follows(cast(NativeOp, steps[p][0])):
                prev[k] = p
    inside = set(prev.values())
    merged: List[Step] = []
    for k, step in enumerate(steps):
        if k in inside:
            continue  # runs in the program of the step it feeds
        if k in prev:
            run = [k]
            while run[-1] in prev:
                run.append(prev[run[-1]])
            run.reverse()
            ops = [cast(NativeOp, steps[j][0]) for j in run]
            if ops[0].kind == "Flatten":  # its conv is not native: alone
                merged.append(steps[run.pop(0)])
                ops.pop(0)
            merged.append((segment(ops), steps[run[0]][1], step[2]))
        else:
            merged.append(step)
    return merged
