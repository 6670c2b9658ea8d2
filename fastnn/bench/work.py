"""How much work each case of the standard set does, for the roofline
(roofline.py): floating-point operations and the bytes it must move at least.

Flops count a multiply-add as 2 and the convolutions and recurrent layers by
their products (forward, and for fwd+bwd the gradient products too: 3x, or
for a recurrent layer fed with data the weight and state grads, not dx);
elementwise steps count one per arithmetic operation (exp, sqrt: 1). Bytes are
the compulsory traffic: every input read once, every output written once
(weights, activations, their gradients), nothing re-read. That is a lower
bound on what a kernel moves, so the intensity is an upper bound and the
percentages of the memory roof are on the kind side of nothing: a kernel
under its roof moves more than this, or waits on something else.

``WORK[name](itemsize) -> (flops, bytes)``; tests/test_roofline.py holds every
case of cases.STANDARD to having an entry.
"""


def gemm(m, k, n):
    return lambda s: (2.0 * m * k * n, s * (m * k + k * n + m * n))


def conv(n, c, o, k, hw, padding=0):
    out = hw + 2 * padding - k + 1
    macs = n * o * c * k * k * out * out
    # forward, input gradient, weight gradient; x, dx, w, dw, y, dy, bias and its gradient
    return lambda s: (3 * 2.0 * macs, s * (2 * n * c * hw * hw + 2 * o * c * k * k + 2 * n * o * out * out + 2 * o))


def conv_transpose(n, c, o, k, hw, stride, padding):
    out = (hw - 1) * stride - 2 * padding + k
    macs = n * c * o * k * k * hw * hw  # every input pixel scatters a k x k patch per output channel
    # forward (the conv's input gradient), input gradient (a conv), weight gradient
    return lambda s: (3 * 2.0 * macs, s * (2 * n * c * hw * hw + 2 * c * o * k * k + 2 * n * o * out * out + 2 * o))


def attention(b, h, length, d):
    pairs = b * h * length * length
    # QK^T and PV forward; dV, dP, dQ, dK backward: six (L x L x D) products per head.
    # Masked (causal) entries are computed and then masked, so they count.
    # Softmax and its gradient: ~8 per score. Q, K, V, O and their gradients move once.
    return lambda s: (6 * 2.0 * pairs * d + 8.0 * pairs, s * 8 * b * h * length * d)


def maxpool(n, c, hw):
    big, small = n * c * hw * hw, n * c * (hw // 2) ** 2
    # one comparison per input forward, one add per output backward; x, y, dy, dx
    return lambda s: (float(big + small), s * (2 * big + 2 * small))


def cross_entropy(n, c):
    # max, subtract, exp, sum, log, softmax - onehot, scale: ~7 per logit; logits in, gradient out
    return lambda s: (7.0 * n * c, s * 2 * n * c + 8 * n)


def adam(numel):
    # m, v updates, bias corrections, sqrt, divide, step: ~13 per parameter; p, g, m, v in, p, m, v out
    return lambda s: (13.0 * numel, s * 7 * numel)


def recurrent(kind, t, b, i, h, backward=True):
    g = {"lstm": 4, "gru": 3}[kind]
    macs = t * b * (i + h) * g * h
    cell = t * b * h * 10 * g  # gate nonlinearities and the state update
    weights = g * h * (i + h) + 2 * g * h
    acts = t * b * (i + h)
    if backward:
        # the grads of W_ih, W_hh and h_{t-1}; not dx, since the input x is data
        bwd = t * b * (i + 2 * h) * g * h
        return lambda s: (2.0 * (macs + bwd) + 3 * cell, s * (2 * weights + 2 * acts))
    return lambda s: (2.0 * macs + cell, s * (weights + acts))


def _layers(batch):
    """(macs, weights, activations) of the small CNN of cases.py at this batch."""
    convs = [(1, 32, 28), (32, 64, 13)]        # in, out channels, input size; 3x3, no padding
    macs = sum(batch * o * c * 9 * (hw - 2) ** 2 for c, o, hw in convs) + batch * (1600 * 128 + 128 * 10)
    weights = sum(o * c * 9 + o for c, o, _ in convs) + 1600 * 128 + 128 + 128 * 10 + 10
    acts = batch * (28 * 28 + 32 * 26 * 26 + 32 * 13 * 13 + 64 * 11 * 11 + 1600 + 128 + 10)
    return macs, weights, acts


def cnn_train_step(batch):
    macs, weights, acts = _layers(batch)
    # forward + two gradient products; weights read and their gradients written, momentum
    # buffers read and written; activations written forward and read backward
    return lambda s: (3 * 2.0 * macs, s * (4 * weights + 2 * acts))


def cnn_inference():
    macs, weights, acts = _layers(1)
    return lambda s: (2.0 * macs, s * (weights + acts))


def mlp_inference():
    return lambda s: (2.0 * (784 * 128 + 128 * 10), s * (784 * 128 + 128 + 128 * 10 + 10 + 784 + 128 + 10))


WORK = {
    "gemm 256": gemm(256, 256, 256),
    "gemm 512": gemm(512, 512, 512),
    "gemm 1024": gemm(1024, 1024, 1024),
    "gemm conv-tall 43264x9x32": gemm(43264, 9, 32),
    "gemm conv-wide 32x288x7744": gemm(32, 288, 7744),
    "own gemm 512 (vs BLAS)": gemm(512, 512, 512),
    "own gemm 1024 (vs BLAS)": gemm(1024, 1024, 1024),
    "conv fwd+bwd N64 1->32 3x3 28": conv(64, 1, 32, 3, 28),
    "conv fwd+bwd N64 32->64 3x3 13": conv(64, 32, 64, 3, 13),
    "conv fwd+bwd N32 64->64 3x3 32 p1": conv(32, 64, 64, 3, 32, padding=1),
    "maxpool 2x2 fwd+bwd N64 C32 26": maxpool(64, 32, 26),
    "cross_entropy fwd+bwd N256 C10": cross_entropy(256, 10),
    "cross_entropy fwd+bwd N256 C1000": cross_entropy(256, 1000),
    "adam step 1M params": adam(1 << 20),
    "lstm fwd T50 B32 I128 H256": recurrent("lstm", 50, 32, 128, 256, backward=False),
    "lstm fwd+bwd T50 B32 I128 H256": recurrent("lstm", 50, 32, 128, 256),
    "gru fwd+bwd T50 B32 I128 H256": recurrent("gru", 50, 32, 128, 256),
    "lstm step B1 I128 H256": recurrent("lstm", 1, 1, 128, 256, backward=False),
    "cnn train step B32": cnn_train_step(32),
    "cnn inference B1": cnn_inference(),
    "mlp 784-128-10 inference B1": mlp_inference(),
    "conv_transpose fwd+bwd N64 64->32 4x4 s2 8": conv_transpose(64, 64, 32, 4, 8, 2, 1),
    "attention fwd+bwd B32 H4 L64 D32 causal": attention(32, 4, 64, 32),
    "attention fwd+bwd B8 H8 L256 D64": attention(8, 8, 256, 64),
}
