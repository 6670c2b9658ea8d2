"""Training a functional model with several outputs, the Keras 3 way.

``compile(loss=[...] or {name: ...}, loss_weights=..., metrics=[[...], [...]] or {name: [...]})``
gives each output its loss and metrics; the trained loss is the weighted sum, and
the logs read ``loss``, ``<output>_loss`` for each output, then ``<output>_<metric>``
(the output's name is the name of the layer that produces it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .._tensor import Tensor
    from .losses import Loss
    from .metrics import Metric


class OutputSpec:
    """One output: its name, loss, loss weight and metrics."""

    def __init__(self, name: str, loss: Loss, weight: float, metrics: list[Metric],
                 weighted_metrics: list[Metric]) -> None:
        self.name, self.loss, self.weight = name, loss, float(weight)
        self.metrics, self.weighted_metrics = metrics, weighted_metrics


def _per_output(value, names, what, default):
    """``value`` as one entry per output, from a list (in output order) or a dict by name."""
    if value is None:
        return [default() for _ in names]
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"compile: {what} names unknown outputs {sorted(unknown)}; the "
                             f"outputs are {names}")
        return [value[n] if n in value else default() for n in names]
    if isinstance(value, (list, tuple)) and len(value) == len(names):
        return list(value)
    raise ValueError(f"compile: {what} must be a list with one entry per output ({len(names)}) "
                     f"or a dict keyed by output name {names}")


def build_specs(names: list[str], loss: Any, loss_weights: Any, metrics: Any, weighted_metrics: Any,
                get_loss: Callable[[Any], Loss], metric_object: Callable[[Any, Loss], Metric]) -> list[OutputSpec]:
    """One OutputSpec per output from compile's arguments (lists in output order or dicts
    by output name)."""
    losses = _per_output(loss, names, "loss", lambda: None)
    weights = _per_output(loss_weights, names, "loss_weights", lambda: 1.0)
    mets = _per_output(metrics, names, "metrics", list)
    wmets = _per_output(weighted_metrics, names, "weighted_metrics", list)
    specs = []
    for name, l, w, m, wm in zip(names, losses, weights, mets, wmets):
        if l is None:
            raise ValueError(f"compile: no loss given for output {name!r}")
        loss_obj = get_loss(l)
        m = [m] if not isinstance(m, (list, tuple)) else m
        wm = [wm] if not isinstance(wm, (list, tuple)) else wm
        specs.append(OutputSpec(name, loss_obj, w, [metric_object(x, loss_obj) for x in m],
                                [metric_object(x, loss_obj) for x in wm]))
    return specs


def targets_as_list(y: Any, names: list[str], what: str) -> list[np.ndarray]:
    """y for several outputs as a list of arrays in output order."""
    from .data_adapters import _to_array
    if isinstance(y, dict):
        missing = set(names) - set(y)
        if missing:
            raise ValueError(f"{what}: y has no entry for outputs {sorted(missing)}")
        y = [y[n] for n in names]
    if not isinstance(y, (list, tuple)) or len(y) != len(names):
        raise ValueError(f"{what}: this model has {len(names)} outputs {names}: pass y as a list "
                         "or a dict with one array per output")
    return [_to_array(a) for a in y]


def batch_loss(model: Any, specs: Sequence[OutputSpec], xs: Sequence[Tensor], ys: Sequence[Any],
               sw: Any) -> tuple[Tensor, list[float]]:
    """(weighted total loss Tensor, [loss value per output]); updates the outputs' metrics."""
    outs = model._keras_module()(*xs)
    total: Any = None
    parts: list[float] = []
    for spec, out, y in zip(specs, outs, ys):
        yt = model._as_target(y)
        value = spec.loss(yt, out) if sw is None else spec.loss.weighted(yt, out, False, sw)
        parts.append(value.item())
        term = value * spec.weight if spec.weight != 1.0 else value
        total = term if total is None else total + term
        pred, truth = np.asarray(out._data), np.asarray(yt._data)
        for m in spec.metrics:
            _update(m, truth, pred, None)
        for m in spec.weighted_metrics:
            _update(m, truth, pred, sw)
    return total, parts


def _update(metric, truth, pred, sw):
    from .compile_utils import _BatchMean
    if isinstance(metric, _BatchMean):
        metric.update_state(truth, pred)
    else:
        metric.update_state(truth, pred, sample_weight=sw)


def logs(specs: Sequence[OutputSpec], part_totals: Sequence[float], seen: int) -> dict[str, Any]:
    """Each output's mean loss and metric results, under Keras 3's log names."""
    out = {f"{s.name}_loss": float(t / seen) for s, t in zip(specs, part_totals)}
    for s in specs:
        for m in s.metrics + s.weighted_metrics:
            value = np.asarray(m.result()._data)
            out[f"{s.name}_{m.name}"] = float(value) if value.ndim == 0 else value.tolist()
    return out
