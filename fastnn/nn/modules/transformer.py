"""The Transformer family, as torch.nn.modules.transformer: Transformer,
TransformerEncoder/Decoder and their layers, with PyTorch's arguments, submodule
names (so a torch state_dict loads), post-norm or norm_first, and
generate_square_subsequent_mask. Attention is MultiheadAttention (attention.py).
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np

from .. import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor

_activation_t = Union[str, Callable[..., Any]]


def _get_activation_fn(activation: _activation_t) -> Callable[..., Any]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise ValueError(f"activation: expected 'relu', 'gelu' or a callable, got {activation!r}")


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (no peeking ahead)."""
    from ..._tensor import Tensor, get_default_dtype
    dt = np.dtype(dtype) if dtype is not None else get_default_dtype()
    mask = np.triu(np.full((sz, sz), -np.inf, dtype=dt), 1)
    t = Tensor._wrap(mask)
    return t.to(device) if device is not None else t


class TransformerEncoderLayer(Module):
    """One encoder layer: self-attention then a feed-forward block.

    Each block has dropout, a residual connection and a LayerNorm:
    ``x = norm1(x + dropout1(self_attn(x)))``, then
    ``x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))``
    (with ``norm_first``: ``x = x + block(norm(x))``).

    Args:
        d_model (int): E, the width of the inputs and outputs.
        nhead (int): the number of attention heads; divides ``d_model``.
        dim_feedforward (int): the hidden width of the feed-forward block.
            Default: 2048
        dropout (float): the dropout probability. Default: 0.1
        activation (str or Callable): the feed-forward activation, ``'relu'``,
            ``'gelu'`` or a callable. Default: ``F.relu``
        layer_norm_eps (float): the eps of the LayerNorms. Default: 1e-5
        batch_first (bool): inputs and output are (N, L, E) instead of (L, N, E).
            Default: ``False``
        norm_first (bool): apply each LayerNorm before its block (pre-norm)
            instead of after the residual addition. Default: ``False``
        bias (bool): learn biases in the Linear and LayerNorm layers. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``;
    the masks as in MultiheadAttention.

    Shape:
        - src: :math:`(S, N, E)` (:math:`(N, S, E)` with ``batch_first``) or :math:`(S, E)`
        - Output: the shape of src.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> layer(fastnn.randn(10, 2, 16)).shape
        (10, 2, 16)
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: _activation_t = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _get_activation_fn(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """One decoder layer: self-attention, attention over the encoder's memory, feed-forward.

    Each of the three blocks has dropout, a residual connection and a LayerNorm
    (``norm1``, ``norm2``, ``norm3``), after the addition or, with
    ``norm_first``, before the block.

    Args:
        d_model (int): E, the width of the inputs and outputs.
        nhead (int): the number of attention heads; divides ``d_model``.
        dim_feedforward (int): the hidden width of the feed-forward block.
            Default: 2048
        dropout (float): the dropout probability. Default: 0.1
        activation (str or Callable): the feed-forward activation, ``'relu'``,
            ``'gelu'`` or a callable. Default: ``F.relu``
        layer_norm_eps (float): the eps of the LayerNorms. Default: 1e-5
        batch_first (bool): inputs and output are (N, L, E) instead of (L, N, E).
            Default: ``False``
        norm_first (bool): apply each LayerNorm before its block (pre-norm)
            instead of after the residual addition. Default: ``False``
        bias (bool): learn biases in the Linear and LayerNorm layers. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=False,
    memory_is_causal=False)``; the masks as in MultiheadAttention.

    Shape:
        - tgt: :math:`(T, N, E)` (:math:`(N, T, E)` with ``batch_first``) or :math:`(T, E)`
        - memory: :math:`(S, N, E)` (:math:`(N, S, E)`) or :math:`(S, E)`
        - Output: the shape of tgt.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> layer(fastnn.randn(7, 2, 16), fastnn.randn(10, 2, 16)).shape
        (7, 2, 16)
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: _activation_t = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _get_activation_fn(activation)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` encoder layers (deep copies of ``encoder_layer``).

    Args:
        encoder_layer (TransformerEncoderLayer): the layer to copy.
        num_layers (int): the number of layers.
        norm (Module, optional): applied to the last layer's output. Default: ``None``
        enable_nested_tensor (bool): accepted for PyTorch compatibility (a
            storage optimisation there; results are the same). Default: ``True``
        mask_check (bool): accepted for PyTorch compatibility. Default: ``True``

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``.

    Shape:
        - src: :math:`(S, N, E)` (:math:`(N, S, E)` with a ``batch_first`` layer)
        - Output: the shape of src.

    Example::

        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(fastnn.randn(10, 2, 16)).shape
        (10, 2, 16)
        >>> len(encoder.layers), encoder.layers[0] is layer
        (2, False)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        # nested tensors are a PyTorch storage optimisation; results are the same without
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=bool(is_causal),
                         src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of ``num_layers`` decoder layers (deep copies of ``decoder_layer``).

    Args:
        decoder_layer (TransformerDecoderLayer): the layer to copy.
        num_layers (int): the number of layers.
        norm (Module, optional): applied to the last layer's output. Default: ``None``

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None, tgt_is_causal=None,
    memory_is_causal=False)``.

    Shape:
        - tgt: :math:`(T, N, E)`; memory: :math:`(S, N, E)` (batch first with a
          ``batch_first`` layer)
        - Output: the shape of tgt.

    Example::

        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2)
        >>> decoder(fastnn.randn(7, 2, 16), fastnn.randn(10, 2, 16)).shape
        (7, 2, 16)
    """

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et al., 2017).

    An encoder (TransformerEncoder with a final LayerNorm) reads ``src``; a
    decoder (TransformerDecoder, final LayerNorm) reads ``tgt`` and attends to
    the encoder's output. Weights with more than one dimension are initialised
    with xavier_uniform_. Inputs are already embedded (no embedding or
    positional encoding is included).

    Args:
        d_model (int): E, the width of the inputs and outputs. Default: 512
        nhead (int): the number of attention heads. Default: 8
        num_encoder_layers (int): encoder layers. Default: 6
        num_decoder_layers (int): decoder layers. Default: 6
        dim_feedforward (int): the hidden width of the feed-forward blocks.
            Default: 2048
        dropout (float): the dropout probability. Default: 0.1
        activation (str or Callable): ``'relu'``, ``'gelu'`` or a callable.
            Default: ``F.relu``
        custom_encoder (Module, optional): use this encoder instead. Default: ``None``
        custom_decoder (Module, optional): use this decoder instead. Default: ``None``
        layer_norm_eps (float): the eps of the LayerNorms. Default: 1e-5
        batch_first (bool): inputs and output are (N, L, E). Default: ``False``
        norm_first (bool): pre-norm layers. Default: ``False``
        bias (bool): learn biases in the Linear and LayerNorm layers. Default: ``True``
        device (str, optional): the device of the parameters. Default: the CPU
        dtype (dtype, optional): a floating dtype for the parameters. Default: float32

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
    memory_is_causal=False)``.

    Shape:
        - src: :math:`(S, N, E)` (:math:`(N, S, E)` with ``batch_first``) or :math:`(S, E)`
        - tgt: :math:`(T, N, E)` (:math:`(N, T, E)`) or :math:`(T, E)`
        - src_mask: :math:`(S, S)`; tgt_mask: :math:`(T, T)`; memory_mask: :math:`(T, S)`
        - src_key_padding_mask: :math:`(N, S)`; tgt_key_padding_mask: :math:`(N, T)`
        - Output: :math:`(T, N, E)` (:math:`(N, T, E)`) or :math:`(T, E)`

    Example::

        >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1,
        ...                        num_decoder_layers=1, dim_feedforward=32)
        >>> src, tgt = fastnn.randn(10, 2, 16), fastnn.randn(7, 2, 16)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(7)
        >>> model(src, tgt, tgt_mask=mask).shape
        (7, 2, 16)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: _activation_t = F.relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = dict(device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **kw)
            self.encoder = TransformerEncoder(layer, num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                        **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            dec_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                activation, layer_norm_eps, batch_first,
                                                norm_first, bias, **kw)
            self.decoder = TransformerDecoder(dec_layer, num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                        **kw))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        batched = src.ndim == 3
        if batched and src.shape[0 if self.batch_first else 1] != \
                tgt.shape[0 if self.batch_first else 1]:
            raise ValueError("src, tgt: the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError("src, tgt: the feature number of src and tgt must be equal to "
                             "d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """A (sz, sz) float mask: 0 on and below the diagonal, -inf above it.

        As ``attn_mask``/``tgt_mask`` it stops position i from attending to the
        positions after it.

        Args:
            sz (int): the sequence length.
            device (str, optional): the device of the mask. Default: the CPU
            dtype (dtype, optional): a floating dtype. Default: float32

        Example::

            >>> nn.Transformer.generate_square_subsequent_mask(3)
            tensor([[  0., -inf, -inf],
                    [  0.,   0., -inf],
                    [  0.,   0.,   0.]])
        """
        return _generate_square_subsequent_mask(sz, device, dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)


__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]
