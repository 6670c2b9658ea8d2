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
from __future__ import annotations

from collections import namedtuple
from typing import Any, Iterable, Sequence, Union

import numpy as np

from ..._tensor import Tensor, cat, tensor
from ...ops.rnn import PackIndex, UnpackIndex

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]

_ints_t = Union[Tensor, Sequence[int], np.ndarray]


def _host_ints(a: Any, name: str) -> np.ndarray:
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


def invert_permutation(permutation: _ints_t | None) -> Tensor | None:
    """Return the inverse of an index permutation (None stays None).

    Args:
        permutation (Tensor or sequence of int, optional): a permutation of 0..n-1.

    Example::

        >>> from fastnn.nn.utils.rnn import invert_permutation
        >>> invert_permutation(fastnn.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    p = _host_ints(permutation, "permutation")
    inv = np.empty_like(p)
    inv[p] = np.arange(p.size, dtype=np.int64)
    return tensor(inv)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of variable-length sequences, packed: only their valid steps are stored.

    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence`, not by
    hand; the recurrent layers (RNN, LSTM, GRU) accept it as input and return
    one, and :func:`pad_packed_sequence` turns it back into a padded batch.

    Attributes:
        data (Tensor): ``(sum of lengths, *)``, the rows of the sequences still
            running at each step, step after step, longest sequence first.
        batch_sizes (Tensor): int64, how many sequences run at each step.
        sorted_indices (Tensor, optional): the caller's batch index of each
            sequence in longest-first order (None when already sorted).
        unsorted_indices (Tensor, optional): the inverse of ``sorted_indices``.

    Example::

        >>> from fastnn.nn.utils.rnn import pack_sequence
        >>> packed = pack_sequence([fastnn.tensor([1.0, 2.0, 3.0]), fastnn.tensor([4.0, 5.0])])
        >>> packed.data, packed.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """
    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: _ints_t | None = None,
                sorted_indices: _ints_t | None = None,
                unsorted_indices: _ints_t | None = None) -> PackedSequence:
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

    def _with_data(self, data: Tensor) -> PackedSequence:
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` moved or cast as by ``Tensor.to``; self when nothing changes."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def float(self) -> PackedSequence:
        """``data`` cast to float32."""
        return self.to(np.float32)

    def double(self) -> PackedSequence:
        """``data`` cast to float64."""
        return self.to(np.float64)

    def cpu(self) -> PackedSequence:
        """``data`` on the CPU."""
        return self.to("cpu")

    def cuda(self, device: Any = None) -> PackedSequence:
        """``data`` on a CUDA device."""
        return self.to("cuda" if device is None else device)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a CUDA device."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Always False (no pinned host memory here)."""
        return False


# ---------------------------------------------------------------- layout helpers
def _sorted_order(sorted_indices: Any, B: int) -> np.ndarray:
    if sorted_indices is None:
        return np.arange(B, dtype=np.int64)
    return _host_ints(sorted_indices, "sorted_indices")


def packed_layout(batch_sizes: _ints_t, sorted_indices: _ints_t | None) -> tuple[np.ndarray, np.ndarray]:
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
def pack_padded_sequence(input: Tensor, lengths: _ints_t, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch of variable-length sequences.

    Args:
        input (Tensor): ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``;
            sequence b is valid for its first ``lengths[b]`` steps.
        lengths (Tensor or sequence of int): the length of each sequence, each
            in [1, T].
        batch_first (bool): ``input`` is batch-major. Default: ``False``
        enforce_sorted (bool): require ``lengths`` in decreasing order; with
            False any order is accepted (and remembered in ``sorted_indices``).
            Default: ``True``

    Returns:
        PackedSequence: gradients flow back to ``input``.

    Example::

        >>> from fastnn.nn.utils.rnn import pack_padded_sequence
        >>> padded = fastnn.tensor([[1.0, 4.0], [2.0, 5.0], [3.0, 0.0]])  # (T=3, B=2)
        >>> pack_padded_sequence(padded, [3, 2])
        PackedSequence(data=tensor([1., 4., 2., 5., 3.]), batch_sizes=tensor([2, 2, 1]),
                       sorted_indices=None, unsorted_indices=None)
    """
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


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Unpack a PackedSequence into a padded batch: the inverse of :func:`pack_padded_sequence`.

    Args:
        sequence (PackedSequence): the batch to unpack.
        batch_first (bool): return ``(B, T, *)`` instead of ``(T, B, *)``.
            Default: ``False``
        padding_value (float): the value of the padded steps. Default: 0.0
        total_length (int, optional): pad to this many steps (at least the
            longest length) instead of the longest length.

    Returns:
        tuple: ``(padded, lengths)``, in the caller's batch order; lengths is
        an int64 Tensor.

    Example::

        >>> from fastnn.nn.utils.rnn import pack_sequence, pad_packed_sequence
        >>> packed = pack_sequence([fastnn.tensor([1.0, 2.0, 3.0]), fastnn.tensor([4.0])])
        >>> pad_packed_sequence(packed, batch_first=True, total_length=4)
        (tensor([[1., 2., 3., 0.],
                [4., 0., 0., 0.]]), tensor([3, 1]))
    """
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


def pad_sequence(sequences: Tensor | Iterable[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into one padded ``(max L, B, *)`` Tensor.

    Args:
        sequences (iterable of Tensors): the sequences, the same trailing shape.
        batch_first (bool): return ``(B, max L, *)``. Default: ``False``
        padding_value (float): the value of the padding. Default: 0.0
        padding_side (str): pad on the ``'right'`` (after) or ``'left'``.
            Default: ``'right'``

    Example::

        >>> from fastnn.nn.utils.rnn import pad_sequence
        >>> seqs = [fastnn.tensor([1.0, 2.0, 3.0]), fastnn.tensor([4.0, 5.0]), fastnn.tensor([6.0])]
        >>> pad_sequence(seqs, batch_first=True)
        tensor([[1., 2., 3.],
                [4., 5., 0.],
                [6., 0., 0.]])
        >>> pad_sequence(seqs, batch_first=True, padding_side="left")
        tensor([[1., 2., 3.],
                [0., 4., 5.],
                [0., 0., 6.]])
    """
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


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors of shapes ``(L_i, *)`` (pad_sequence, then pack_padded_sequence).

    Args:
        sequences (list of Tensors): the sequences.
        enforce_sorted (bool): require them in decreasing length. Default: ``True``

    Example::

        >>> from fastnn.nn.utils.rnn import pack_sequence
        >>> pack_sequence([fastnn.tensor([1.0]), fastnn.tensor([2.0, 3.0])], enforce_sorted=False).data
        tensor([2., 1., 3.])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: _ints_t,
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into a list of its sequences.

    Args:
        padded_sequences (Tensor): ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``.
        lengths (Tensor or sequence of int): the length of each sequence.
        batch_first (bool): the batch is batch-major. Default: ``False``

    Example::

        >>> from fastnn.nn.utils.rnn import pad_sequence, unpad_sequence
        >>> padded = pad_sequence([fastnn.tensor([1.0, 2.0, 3.0]), fastnn.tensor([4.0, 5.0])])
        >>> unpad_sequence(padded, [3, 2])
        [tensor([1., 2., 3.]), tensor([4., 5.])]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = _host_ints(lengths, "lengths")
    return [padded_sequences[b, :int(n)] for b, n in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Split a PackedSequence back into a list of its sequences, in the caller's order.

    Example::

        >>> from fastnn.nn.utils.rnn import pack_sequence, unpack_sequence
        >>> seqs = [fastnn.tensor([4.0, 5.0]), fastnn.tensor([1.0, 2.0, 3.0])]
        >>> unpack_sequence(pack_sequence(seqs, enforce_sorted=False))
        [tensor([4., 5.]), tensor([1., 2., 3.])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
