"""Write images without matplotlib or Pillow: a tiny PNG encoder and an image grid.

PNG is a signature, then chunks (length, type, data, CRC-32); the pixels go in
one zlib-compressed IDAT chunk, each row prefixed with filter byte 0 (none).
"""
import os
import struct
import tempfile
import zlib

import numpy as np


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def save_png(path, image):
    """Save ``image`` -- (H, W) grey or (H, W, 3) RGB, uint8 or floats in [0, 1] -- as PNG."""
    img = np.asarray(image)
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"save_png: image must be (H, W) or (H, W, 3), got shape {img.shape}")
    if img.dtype != np.uint8:
        img = (np.clip(img.astype(np.float64), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    h, w = img.shape[:2]
    color_type = 0 if img.ndim == 2 else 2
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, -1)], axis=1).tobytes()
    png = (b"\x89PNG\r\n\x1a\n"
           + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
           + _chunk(b"IDAT", zlib.compress(raw, 9))
           + _chunk(b"IEND", b""))
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".png.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(png)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def make_grid(images, nrow=8, padding=1, scale=1, pad_value=1.0):
    """Tile (N, H, W) or (N, 1, H, W) images into one (H', W') array, ``scale``-times enlarged."""
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim == 4 and imgs.shape[1] == 1:
        imgs = imgs[:, 0]
    if imgs.ndim != 3:
        raise ValueError(f"make_grid: images must be (N, H, W) or (N, 1, H, W), got shape {imgs.shape}")
    if scale > 1:
        imgs = imgs.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w = imgs.shape
    ncol = min(nrow, max(n, 1))
    nrows = -(-n // ncol)
    grid = np.full((nrows * (h + padding) + padding, ncol * (w + padding) + padding), pad_value)
    for i in range(n):
        r, c = divmod(i, ncol)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[top:top + h, left:left + w] = imgs[i]
    return grid
