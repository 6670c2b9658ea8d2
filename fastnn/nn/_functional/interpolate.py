"""F.interpolate / F.upsample*: PyTorch's modes, sizes and source-index formulas.

Modes: 'nearest', 'nearest-exact' (any of 1-3 spatial dims), 'linear' (3-D input),
'bilinear' and 'bicubic' (4-D), 'trilinear' (5-D), 'area' (adaptive average
pooling, 1-3 spatial dims). Every mode is separable, so the output is built one
spatial axis at a time: each output index reads K source indices (nearest 1,
linear 2, cubic 4) with weights, i.e. index_select and multiply-adds, and
autograd gives the backward; 'area' multiplies by an (out, in) averaging
matrix. Source indices are computed in the input's precision (float32 for
float32), as PyTorch's CPU kernels do, so nearest picks the same pixels.
"""
from __future__ import annotations

import math
from typing import Sequence
import numbers

import numpy as np

from ... import _sizes
from ..._tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

# mode -> number of spatial dims it takes (None: 1, 2 or 3)
_MODES = {"nearest": None, "nearest-exact": None, "area": None, "linear": 1, "bilinear": 2,
          "bicubic": 2, "trilinear": 3}
_CUBIC_A = -0.75


def _scale(n_in, n_out, align_corners, sc, ct):
    """PyTorch's area_pixel_compute_scale: the source step per output index."""
    if align_corners:
        return ct((n_in - 1) / (n_out - 1)) if n_out > 1 else ct(0)
    return ct(1.0 / sc) if sc is not None and sc > 0 else ct(n_in) / ct(n_out)


def _taps(mode, n_in, n_out, sc, align_corners, ct):
    """(indices (K, n_out) int64, weights (K, n_out) or None) of one axis."""
    dst = np.arange(n_out).astype(ct)
    if mode in ("nearest", "nearest-exact"):
        s = ct(1.0 / sc) if sc is not None and sc > 0 else ct(n_in) / ct(n_out)
        src = dst * s if mode == "nearest" else (dst + ct(0.5)) * s
        return np.minimum(np.floor(src).astype(np.int64), n_in - 1)[None], None
    s = _scale(n_in, n_out, align_corners, sc, ct)
    if align_corners:
        src = dst * s
    else:
        src = s * (dst + ct(0.5)) - ct(0.5)
    if mode != "bicubic":
        src = np.maximum(src, ct(0))
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = (src - i0.astype(ct)).astype(ct)
        return np.stack([i0, i1]), np.stack([ct(1) - lam, lam])
    i = np.floor(src).astype(np.int64)
    t = (src - i.astype(ct)).astype(ct)
    a = ct(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    idx = np.stack([np.clip(i + d, 0, n_in - 1) for d in (-1, 0, 1, 2)])
    w = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)]).astype(ct)
    return idx, w


def _area_matrix(n_in, n_out, dtype):
    """(n_out, n_in) adaptive-average-pool weights: row o averages [floor(o*in/out), ceil((o+1)*in/out))."""
    m = np.zeros((n_out, n_in), dtype=np.float64)
    for o in range(n_out):
        lo = (o * n_in) // n_out
        hi = -((-(o + 1) * n_in) // n_out)
        m[o, lo:hi] = 1.0 / (hi - lo)
    return m.astype(dtype)


def _wrap_like(a, like):
    if not isinstance(like, np.ndarray):
        from ...backends.cupy._runtime import cp
        a = cp().asarray(a)
    return Tensor._wrap(a)


def _resize_axis(x, axis, mode, n_out, sc, align_corners):
    data = x._data
    n_in = x.shape[axis]
    dt = data.dtype
    ct = np.float32 if dt == np.float32 or dt == np.float16 else np.float64
    if mode == "area":
        m = _wrap_like(_area_matrix(n_in, n_out, dt), data)
        return x.transpose(axis, -1).matmul(m.transpose(0, 1)).transpose(axis, -1)
    idx, w = _taps(mode, n_in, n_out, sc, align_corners, ct)
    if w is None:
        return x.index_select(axis, _wrap_like(idx[0], data))
    shape = (-1,) + (1,) * (x.ndim - 1 - axis)
    out = None
    for k in range(idx.shape[0]):
        term = x.index_select(axis, _wrap_like(idx[k], data)) * \
            _wrap_like(w[k].astype(dt).reshape(shape), data)
        out = term if out is None else out + term
    return out


def _sizes_and_scales(input, size, scale_factor, recompute_scale_factor, nsp):
    in_sizes = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None:
        out = (size,) * nsp if isinstance(size, numbers.Integral) else tuple(size)
        for n in out:
            if isinstance(n, bool) or not isinstance(n, numbers.Integral):
                raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        if len(out) != nsp:
            raise ValueError(f"interpolate: size {size!r} must have {nsp} entries for a "
                             f"{input.ndim}-D input")
        return tuple(int(n) for n in out), (None,) * nsp, f"interpolate: size={size!r}"
    scales = [float(scale_factor)] * nsp if isinstance(scale_factor, numbers.Real) \
        else [float(f) for f in scale_factor]
    if len(scales) != nsp:
        raise ValueError(f"interpolate: scale_factor {scale_factor!r} must have {nsp} entries "
                         f"for a {input.ndim}-D input")
    if not all(math.isfinite(f) and f > 0 for f in scales):
        raise ValueError(f"interpolate: scale_factor must be positive and finite, got "
                         f"{scale_factor!r}")
    out = tuple(int(math.floor(n * f)) for n, f in zip(in_sizes, scales))
    if recompute_scale_factor:
        scales = [None] * nsp
    return out, tuple(scales), f"interpolate: scale_factor={scale_factor!r}"


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resizes the spatial dims of an (N, C, *spatial) input to ``size`` or by ``scale_factor``.

    Args:
        input (Tensor): :math:`(N, C, W)`, :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`.
        size (int or tuple, optional): the output's spatial size. Give it or ``scale_factor``.
        scale_factor (float or tuple, optional): multiplier of each spatial size (the output
            size is rounded down).
        mode (str): ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input),
            ``'bilinear'``, ``'bicubic'`` (4-D), ``'trilinear'`` (5-D) or ``'area'``
            (adaptive average pooling). Default: ``'nearest'``
        align_corners (bool, optional): for the interpolating modes, map the corner pixels'
            centres onto each other instead of their outer edges. Default: ``None`` (False)
        recompute_scale_factor (bool, optional): compute source positions from the output
            size rather than the given ``scale_factor``. Default: ``None``
        antialias (bool): not supported; ``True`` raises NotImplementedError. Default: ``False``

    Example::

        >>> x = fastnn.arange(4.0).reshape(1, 1, 2, 2)
        >>> F.interpolate(x, scale_factor=2)
        tensor([[[[0., 0., 1., 1.],
                  [0., 0., 1., 1.],
                  [2., 2., 3., 3.],
                  [2., 2., 3., 3.]]]])
        >>> F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
        tensor([[[[0.0000, 0.5000, 1.0000],
                  [1.0000, 1.5000, 2.0000],
                  [2.0000, 2.5000, 3.0000]]]])
    """
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode {mode!r} is not supported (expected one of "
                         f"{sorted(_MODES)})")
    nsp = input.ndim - 2
    want = _MODES[mode]
    if nsp not in (1, 2, 3) or (want is not None and want != nsp):
        need = f"a {want + 2}-D" if want is not None else "a 3-D, 4-D or 5-D"
        raise ValueError(f"interpolate: got a {input.ndim}-D input, but mode {mode!r} needs "
                         f"{need} input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if align_corners is not None and mode in ("nearest", "nearest-exact", "area"):
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    out_sizes, scales, what = _sizes_and_scales(input, size, scale_factor,
                                                recompute_scale_factor, nsp)
    for n_out in out_sizes:
        if n_out <= 0:
            raise ValueError(f"interpolate: output size {n_out} must be positive ({what})")
    _sizes.check_alloc(what, tuple(input.shape[:2]) + out_sizes, input._data.itemsize,
                       like=input._data)
    if mode == "area":
        scales = (None,) * nsp  # adaptive pooling: sizes only
    out = input
    for k in range(nsp):
        if mode in ("nearest", "nearest-exact") and out_sizes[k] == input.shape[2 + k]:
            continue  # identity along this axis
        out = _resize_axis(out, 2 + k, mode, out_sizes[k], scales[k], bool(align_corners))
    return out


def upsample(input: Tensor, size: int | Sequence[int] | None = None,
             scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (PyTorch keeps it; so does fastnn).

    Args:
        input (Tensor): :math:`(N, C, *spatial)`.
        size (int or tuple, optional): the output's spatial size.
        scale_factor (float or tuple, optional): multiplier of each spatial size.
        mode (str): as :func:`interpolate`. Default: ``'nearest'``
        align_corners (bool, optional): as :func:`interpolate`. Default: ``None``

    Example::

        >>> tuple(F.upsample(fastnn.ones(1, 1, 2, 3), scale_factor=2).shape)
        (1, 1, 4, 6)
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: int | Sequence[int] | None = None,
                     scale_factor: float | Sequence[float] | None = None) -> Tensor:
    """Nearest-neighbour upsampling: ``interpolate(input, size, scale_factor, mode='nearest')``.

    Args:
        input (Tensor): :math:`(N, C, *spatial)`.
        size (int or tuple, optional): the output's spatial size.
        scale_factor (float or tuple, optional): multiplier of each spatial size.

    Example::

        >>> F.upsample_nearest(fastnn.tensor([[[1.0, 2.0]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: int | Sequence[int] | None = None,
                      scale_factor: float | Sequence[float] | None = None) -> Tensor:
    """Bilinear upsampling with aligned corners:
    ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``.

    Args:
        input (Tensor): :math:`(N, C, H, W)`.
        size (int or tuple, optional): the output's (H, W).
        scale_factor (float or tuple, optional): multiplier of H and W.

    Example::

        >>> F.upsample_bilinear(fastnn.arange(4.0).reshape(1, 1, 2, 2), size=3)
        tensor([[[[0.0000, 0.5000, 1.0000],
                  [1.0000, 1.5000, 2.0000],
                  [2.0000, 2.5000, 3.0000]]]])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
