"""Helpers shared by the dataset readers: opening (maybe gzipped) files with clear errors."""
import gzip
import os
import zlib

__all__ = []


def read_bytes(path, hint):
    """The whole file, un-gzipped if it starts with the gzip magic; clear errors otherwise."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found. {hint}")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    return raw


def find_file(root, names, hint):
    """The first of ``names`` (each tried as is and with .gz) that exists under ``root``."""
    for name in names:
        for candidate in (name, name + ".gz"):
            p = os.path.join(root, candidate)
            if os.path.exists(p):
                return p
    raise FileNotFoundError(f"none of {', '.join(names)} (or .gz) found in {root}. {hint}")
