"""Resize (opset 10+) and Upsample (opsets 7-9): nearest, (multi-)linear and
cubic interpolation over any axes, one axis at a time -- pick source rows with
index_select, blend neighbours with multiply-adds -- so gradients reach the
input as in F.interpolate. Each of ONNX's coordinate transformations maps an
output index to a source coordinate; antialiasing and tf_crop_and_resize are
refused at load."""
import math

import numpy as np

from ._common import register, arr, ints, const, as_str, unsupported

_COORDS = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners",
           "asymmetric")
_NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _source(x, n_in, n_out, scale, mode):
    """Source coordinate of each output index along one axis."""
    if mode == "asymmetric":
        return x / scale
    if mode == "align_corners":
        # the resized length is the unrounded n_in * scale, as in ONNX's reference
        span = n_in * scale - 1
        return x * ((n_in - 1) / span) if n_out > 1 and span > 0 else np.zeros_like(x)
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(x)
    if mode == "half_pixel_symmetric":
        adjust = n_out / (scale * n_in)
        return n_in / 2.0 * (1 - adjust) + (x + 0.5) / scale - 0.5
    return (x + 0.5) / scale - 0.5  # half_pixel


def _nearest_index(src, n_in, mode):
    if mode == "round_prefer_ceil":
        i = np.floor(src + 0.5)
    elif mode == "floor":
        i = np.floor(src)
    elif mode == "ceil":
        i = np.ceil(src)
    else:  # round_prefer_floor
        i = np.ceil(src - 0.5)
    return np.clip(i, 0, n_in - 1).astype(np.int64)


def _cubic_weights(t, a):
    """Keys' cubic convolution weights of the taps at -1, 0, 1, 2 from floor(src)."""
    def k(d):
        d = np.abs(d)
        near = ((a + 2) * d - (a + 3)) * d * d + 1
        far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
        return np.where(d <= 1, near, np.where(d < 2, far, 0.0))
    return [k(t + 1), k(t), k(1 - t), k(2 - t)]


def _blend(out, axis, taps, weights, nd, dt):
    """sum_j out.index_select(axis, taps[j]) * weights[j] (weights per output index)."""
    y = None
    for idx, w in zip(taps, weights):
        w = np.asarray(w, dtype=dt).reshape((-1,) + (1,) * (nd - 1 - axis))
        term = out.index_select(axis, const(idx)) * const(w)
        y = term if y is None else y + term
    return y


def resize(x, out_sizes, scales, mode, coord, nearest_mode, cubic_a=-0.75,
           exclude_outside=False):
    """x resized to out_sizes (one per axis; scales the per-axis factors)."""
    out = x
    dt = arr(x).dtype
    for axis, (n_out, scale) in enumerate(zip(out_sizes, scales)):
        n_in = x.shape[axis]
        if n_out == n_in and scale == 1.0:
            continue
        dst = np.arange(n_out, dtype=np.float64)
        src = _source(dst, n_in, n_out, scale, coord)
        if mode == "nearest":
            out = out.index_select(axis, const(_nearest_index(src, n_in, nearest_mode)))
            continue
        if mode == "cubic":
            base = np.floor(src).astype(np.int64)
            raw = [base + j for j in (-1, 0, 1, 2)]
            weights = _cubic_weights(src - base, cubic_a)
            if exclude_outside:  # taps beyond the edge get no weight; the rest renormalise
                weights = [w * ((i >= 0) & (i < n_in)) for w, i in zip(weights, raw)]
                total = sum(weights)
                weights = [w / total for w in weights]
            taps = [np.clip(i, 0, n_in - 1) for i in raw]  # else: repeat the edge
            out = _blend(out, axis, taps, weights, x.ndim, dt)
            continue
        src = np.clip(src, 0, n_in - 1)
        i0 = np.floor(src).astype(np.int64)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = (src - i0).astype(dt).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
        out = out.index_select(axis, const(i0)) * const(1 - lam) + \
            out.index_select(axis, const(i1)) * const(lam)
    return out


def _check_resize(attrs, opset, node):
    mode = as_str(attrs.get("mode", "nearest"))
    if mode not in ("nearest", "linear", "bilinear") and not (mode == "cubic" and
                                                              node.op_type == "Resize"):
        raise unsupported(node, f"mode={mode!r} is not supported (nearest, linear and, for "
                          "Resize, cubic are)")
    coord = as_str(attrs.get("coordinate_transformation_mode", "half_pixel"))
    if node.op_type == "Resize" and opset >= 11 and coord not in _COORDS:
        raise unsupported(node, f"coordinate_transformation_mode={coord!r} is not supported "
                          f"(supported: {_COORDS})")
    if as_str(attrs.get("nearest_mode", "round_prefer_floor")) not in _NEAREST:
        raise unsupported(node, f"nearest_mode={attrs['nearest_mode']!r} is not supported")
    if int(attrs.get("antialias", 0)):
        raise unsupported(node, "antialias=1 is not supported")
    policy = as_str(attrs.get("keep_aspect_ratio_policy", "stretch"))
    if policy not in ("stretch", "not_larger", "not_smaller"):
        raise unsupported(node, f"keep_aspect_ratio_policy={policy!r} is not supported")


def _given(inputs, i):
    return len(inputs) > i and inputs[i] is not None and arr(inputs[i]).size > 0


@register("Resize", check=_check_resize)
def _resize(node, inputs, attrs):
    x = inputs[0]
    mode = {"nearest": "nearest", "cubic": "cubic"}.get(as_str(attrs.get("mode", "nearest")),
                                                       "linear")
    if node.opset < 11:  # Resize-10: (X, scales), asymmetric coordinates, floor for nearest
        coord, nearest = "asymmetric", "floor"
        scale_in, size_in = 1, None
    else:
        coord = as_str(attrs.get("coordinate_transformation_mode", "half_pixel"))
        nearest = as_str(attrs.get("nearest_mode", "round_prefer_floor"))
        scale_in, size_in = 2, 3
    axes = [int(a) for a in attrs.get("axes", range(x.ndim))]
    axes = [a + x.ndim if a < 0 else a for a in axes]
    sizes, scales = list(x.shape), [1.0] * x.ndim
    if size_in is not None and _given(inputs, size_in):
        wanted = ints(inputs[size_in])
        policy = as_str(attrs.get("keep_aspect_ratio_policy", "stretch"))
        if policy != "stretch":
            # one scale for all axes: the largest that fits, or the smallest that covers
            pick = min if policy == "not_larger" else max
            f = pick(n / x.shape[a] for a, n in zip(axes, wanted))
            wanted = [int(math.floor(f * x.shape[a] + 0.5)) for a in axes]
            for a, n in zip(axes, wanted):
                sizes[a], scales[a] = n, f
        else:
            for a, n in zip(axes, wanted):
                sizes[a], scales[a] = n, n / x.shape[a]
    elif _given(inputs, scale_in):
        for a, f in zip(axes, arr(inputs[scale_in]).reshape(-1).tolist()):
            sizes[a], scales[a] = int(math.floor(x.shape[a] * f)), float(f)
    else:
        raise ValueError(f"ONNX import: {node}: Resize needs scales or sizes")
    return resize(x, sizes, scales, mode, coord, nearest, float(attrs.get("cubic_coeff_a", -0.75)),
                  bool(int(attrs.get("exclude_outside", 0))))


@register("Upsample", check=_check_resize)
def _upsample(node, inputs, attrs):
    x = inputs[0]
    mode = "linear" if as_str(attrs.get("mode", "nearest")) != "nearest" else "nearest"
    factors = arr(inputs[1]).reshape(-1).tolist() if node.opset >= 9 else \
        [float(f) for f in attrs["scales"]]
    sizes = [int(math.floor(n * f)) for n, f in zip(x.shape, factors)]
    return resize(x, sizes, [float(f) for f in factors], mode, "asymmetric", "floor")
