"""The loss operators of opset 12+: SoftmaxCrossEntropyLoss and
NegativeLogLikelihoodLoss. Both mean what PyTorch's cross_entropy and nll_loss
mean (class weights, ignore_index, a weighted mean that divides by the weights
of the counted targets), so they run on fastnn's own loss functions."""
from ...nn import functional as F
from ._common import register, as_str, unsupported

_REDUCTIONS = ("mean", "sum", "none")


def _check(attrs, opset, node):
    r = as_str(attrs.get("reduction", "mean"))
    if r not in _REDUCTIONS:
        raise unsupported(node, f"reduction {r!r} (expected one of {_REDUCTIONS})")


def _loss_args(inputs, attrs):
    weight = inputs[2] if len(inputs) > 2 else None
    # without ignore_index every target is a class: -100 (PyTorch's default) can never
    # be one, as class indices are never negative
    ignore = int(attrs["ignore_index"]) if "ignore_index" in attrs else -100
    return dict(weight=weight, ignore_index=ignore,
                reduction=as_str(attrs.get("reduction", "mean")))


@register("SoftmaxCrossEntropyLoss", check=_check)
def _softmax_cross_entropy(node, inputs, attrs):
    scores, labels = inputs[0], inputs[1]
    log_prob = F.log_softmax(scores, 1)
    loss = F.nll_loss(log_prob, labels, **_loss_args(inputs, attrs))
    return (loss, log_prob) if node.n_outputs > 1 else loss


@register("NegativeLogLikelihoodLoss", check=_check)
def _nll(node, inputs, attrs):
    return F.nll_loss(inputs[0], inputs[1], **_loss_args(inputs, attrs))
