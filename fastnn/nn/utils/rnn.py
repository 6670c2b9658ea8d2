"""Variable-length batches for the recurrent layers (torch.nn.utils.rnn's API).

A PackedSequence stores only the valid steps of a batch of sequences: ``data``
holds, step after step, the rows of the sequences still running at that step,
longest sequence first -- ``batch_sizes[t]`` rows for step t. ``sorted_indices``
maps that longest-first order to the caller's batch order (None when the
caller's batch was already sorted). The layout is PyTorch's, element for
element, so packed data can be compared with (or fed from) torch directly.

Every conversion here is one differentiable gather / scatter of rows
(fastnn/ops/rnn.py), so gradients flow through packing and padding.
"""
from collections import namedtuple

import numpy as np

from ..._tensor import Tensor, cat, tensor
from ...ops.rnn import PackIndex, UnpackIndex

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


def _host_ints(a, name):
    """``a`` (list, ndarray or Tensor) as a 1-D host int64 array."""
    if isinstance(a, Tensor):
        a = a._data
    if hasattr(a, "get") and not isinstance(a, np.ndarray):  # a CuPy array
        a = a.get()
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of integers, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.floor(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name}: expected integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def invert_permutation(permutation):
    """The inverse of an index permutation (None stays None)."""
    if permutation is None:
        return None
    p = _host_ints(permutation, "permutation")
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=np.int64)
    return tensor(inv)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's PackedSequence.

    Build one with pack_padded_sequence or pack_sequence, not by hand.
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required (build packed batches with "
                            "pack_padded_sequence or pack_sequence)")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = tensor(_host_ints(batch_sizes, "batch_sizes"))
        if sorted_indices is not None and not isinstance(sorted_indices, Tensor):
            sorted_indices = tensor(_host_ints(sorted_indices, "sorted_indices"))
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        elif not isinstance(unsorted_indices, Tensor):
            unsorted_indices = tensor(_host_ints(unsorted_indices, "unsorted_indices"))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


# ---------------------------------------------------------------- layout helpers
def _sorted_order(sorted_indices, B):
    if sorted_indices is None:
        return np.arange(B, dtype=np.int64)
    return _host_ints(sorted_indices, "sorted_indices")


def packed_layout(batch_sizes, sorted_indices):
    """(row index into a (T, B) time-major grid, lengths in the caller's order).

    Row j of packed data is entry ``index[j] = t * B + b`` of the flattened grid.
    """
    bs = _host_ints(batch_sizes, "batch_sizes")
    if bs.size == 0:
        raise ValueError("batch_sizes: a packed sequence needs at least one step")
    B = int(bs[0])
    order = _sorted_order(sorted_indices, B)
    if order.shape != (B,):
        raise ValueError(f"sorted_indices: expected {B} entries (batch_sizes[0]), "
                         f"got {order.shape[0]}")
    if np.any(np.diff(bs) > 0) or bs[-1] < 1:
        raise ValueError(f"batch_sizes: expected positive, non-increasing counts, got {bs.tolist()}")
    index = np.concatenate([t * B + order[:n] for t, n in enumerate(bs)])
    lengths_sorted = (bs[None, :] > np.arange(B)[:, None]).sum(axis=1)
    lengths = np.empty(B, dtype=np.int64)
    lengths[order] = lengths_sorted
    return index, lengths


# ---------------------------------------------------------------- public API
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) -- (B, T, *) with batch_first -- of sequences
    whose valid lengths are ``lengths``."""
    if not isinstance(input, Tensor):
        input = tensor(input)
    lengths = _host_ints(lengths, "lengths")
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence: input must have at least 2 dimensions "
                         f"(time and batch), got shape {input.shape}")
    if batch_first:
        input = input.transpose(0, 1)
    T, B = input.shape[:2]
    if lengths.shape != (B,):
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.shape[0]} (batch_size={B})")
    if B == 0:
        raise RuntimeError("pack_padded_sequence: cannot pack an empty batch")
    if lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if lengths.max() > T:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths.max()} exceeds the "
                           f"{T} steps of the padded input")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = np.arange(B, dtype=np.int64)
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = order
    batch_sizes = (lengths[None, :] > np.arange(int(lengths.max()))[:, None]).sum(axis=1)
    index = np.concatenate([t * B + order[:n] for t, n in enumerate(batch_sizes)])
    data = PackIndex.apply(input, index)
    return PackedSequence(data, batch_sizes.astype(np.int64), sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: (padded, lengths), in the caller's batch order."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, "
                        f"got {type(sequence).__name__}")
    index, lengths = packed_layout(sequence.batch_sizes, sequence.sorted_indices)
    T = int(sequence.batch_sizes.shape[0])
    B = lengths.shape[0]
    data = sequence.data
    if data.shape[0] != index.shape[0]:
        raise ValueError(f"PackedSequence: data has {data.shape[0]} rows but batch_sizes sums "
                         f"to {index.shape[0]}")
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T_out = int(total_length)
    else:
        T_out = T
    padded = UnpackIndex.apply(data, index, T_out, B, padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into (max L, B, *) -- (B, max L, *) with batch_first."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = [s if isinstance(s, Tensor) else tensor(s) for s in sequences]
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    trailing = {s.shape[1:] for s in sequences}
    if len(trailing) != 1 or sequences[0].dim() < 1:
        raise RuntimeError("pad_sequence: every sequence must have shape (L, *) with the same "
                           f"trailing dimensions, got {[s.shape for s in sequences]}")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    B, T = len(sequences), int(lengths.max())
    starts = (T - lengths) if padding_side == "left" else np.zeros(B, dtype=np.int64)
    index = np.concatenate([(starts[b] + np.arange(n)) * B + b for b, n in enumerate(lengths)])
    data = cat(sequences, 0) if B > 1 else sequences[0]
    padded = UnpackIndex.apply(data, index, T, B, padding_value)
    return padded.transpose(0, 1) if batch_first else padded


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors of shapes (L_i, *)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of its sequences."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _host_ints(lengths, "lengths")
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences):
    """Split a PackedSequence back into a list of its sequences (caller's order)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
