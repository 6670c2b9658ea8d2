"""Embedding: a lookup table of ``num_embeddings`` vectors of size ``embedding_dim``."""
from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import init
from ..parameter import Parameter
from .module import Module
from ._utils import F, _empty_parameter, _place


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` is the embedding vector of index ``i``.

    Often used to turn word or token ids into dense vectors. The input holds
    integer indices in [0, num_embeddings); the output replaces each index by
    its row.

    Args:
        num_embeddings (int): the size of the table (number of indices).
        embedding_dim (int): the size of each embedding vector.
        padding_idx (int, optional): an index whose row is initialised to zeros
            and receives no gradient (a padding token); negative counts from the
            end. Default: ``None``
        max_norm (float, optional): rows looked up are renormalised in place to
            at most this ``norm_type``-norm. Default: ``None``
        norm_type (float): the p of the p-norm for ``max_norm``. Default: 2.0
        scale_grad_by_freq (bool): scale gradients by the inverse frequency of
            the indices in the mini-batch. Default: ``False``
        sparse (bool): accepted for PyTorch compatibility; the gradient of
            ``weight`` is always a dense Tensor here. Default: ``False``
        device (str, optional): the device of the weight. Default: the CPU
        dtype (dtype, optional): a floating dtype for the weight. Default: float32

    Shape:
        - Input: :math:`(*)`, an integer tensor of any shape.
        - Output: :math:`(*, H)`, ``H = embedding_dim``.

    Attributes:
        weight (Parameter): shape ``(num_embeddings, embedding_dim)``, initialised
            from N(0, 1) (the ``padding_idx`` row zero).

    Example::

        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(fastnn.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])).shape
        (2, 4, 3)
        >>> emb(fastnn.tensor([0]))
        tensor([[0., 0., 0.]], grad_fn=<EmbeddingBackward0>)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if padding_idx > 0:
                if padding_idx >= num_embeddings:
                    raise AssertionError("Padding_idx must be within num_embeddings")
            elif padding_idx < 0:
                if padding_idx < -num_embeddings:
                    raise AssertionError("Padding_idx must be within num_embeddings")
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = _empty_parameter((num_embeddings, embedding_dim), dtype,
                                           requires_grad=not _freeze,
                                           what=f"Embedding: num_embeddings={num_embeddings}, "
                                                f"embedding_dim={embedding_dim}")
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight if isinstance(_weight, Tensor) else Tensor(_weight),
                                    requires_grad=not _freeze)
        _place(self, device)

    def reset_parameters(self) -> None:
        """Draw the weight again from N(0, 1), the ``padding_idx`` row zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        kwargs: dict[str, Any] = {}
        if self.max_norm is not None:
            kwargs.update(max_norm=self.max_norm, norm_type=self.norm_type)
        if self.scale_grad_by_freq:
            kwargs["scale_grad_by_freq"] = True
        if self.sparse:
            kwargs["sparse"] = True
        return F.embedding(input, self.weight, self.padding_idx, **kwargs)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """Create an Embedding whose weight is the 2-D ``embeddings``.

        Args:
            embeddings (Tensor or array): the weight, ``(num_embeddings, embedding_dim)``;
                a Tensor is used as is (its memory shared), other data is copied.
            freeze (bool): the weight does not require grad (is not trained).
                Default: ``True``
            padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse: as in the
                constructor (``padding_idx``'s row is not zeroed here).

        Example::

            >>> weight = fastnn.tensor([[1.0, 2.0], [3.0, 4.0]])
            >>> emb = nn.Embedding.from_pretrained(weight)
            >>> emb(fastnn.tensor([1]))
            tensor([[3., 4.]])
        """
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        data = embeddings if isinstance(embeddings, Tensor) else Tensor(embeddings)
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=data, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


__all__ = ["Embedding"]
