"""Model.save / keras.models.load_model in a safe format: one safetensors file (no pickle)
whose header metadata holds the architecture as JSON and whose tensors are the
model's state_dict (fastnn/io.py's layout).

    metadata["fastnn.keras.model"]    {"class_name": "Sequential" | "Functional", "config": ...}
    metadata["fastnn.keras.compile"]  optimizer / loss / metrics, when they can be named

A layer is rebuilt as ``LayerClass(**config)`` from keras.layers or ``custom_objects``;
a functional graph is replayed node by node. Loading never runs code from the file.
Optimizer state is not saved: a loaded model is compiled afresh (compile=True).
"""
from __future__ import annotations

import json
import os
from typing import Any

from .. import io as fio

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]

_MODEL_KEY = "fastnn.keras.model"
_COMPILE_KEY = "fastnn.keras.compile"


def _layer_spec(layer):
    if not hasattr(layer, "get_config"):
        raise ValueError(f"Model.save: layer {type(layer).__name__} has no get_config(); only "
                         "keras layers can be saved with the architecture (use save_weights)")
    spec = {"class_name": type(layer).__name__, "config": layer.get_config()}
    try:
        json.dumps(spec)
    except TypeError:
        bad = [k for k, v in spec["config"].items() if not _jsonable(v)]
        raise ValueError(f"Model.save: layer {getattr(layer, 'name', '?')!r} has arguments "
                         f"{bad} that cannot be written as JSON (e.g. a Python function as "
                         "activation); use a name such as activation='relu', or save_weights") from None
    return spec


def _jsonable(v):
    try:
        json.dumps(v)
        return True
    except TypeError:
        return False


def _model_spec(model):
    from .functional import KerasTensor, _map
    from .model import Model
    from .sequential import Sequential
    if isinstance(model, Sequential):
        shape = model._known_input_shape()
        return {"class_name": "Sequential", "config": {
            "name": model.name, "layers": [_layer_spec(l) for l in model.layers],
            "build_input_shape": None if shape is None else list(shape),
            "input_dtype": getattr(model, "_input_dtype", "float32")}}
    if isinstance(model, Model) and model._graph is not None:
        ins, outs, nodes = model._graph
        where = {id(t): ["input", i] for i, t in enumerate(ins)}
        layer_index, layers, node_specs = {}, [], []
        for k, node in enumerate(nodes):
            if id(node.layer) not in layer_index:
                layer_index[id(node.layer)] = len(layers)
                layers.append(_layer_spec(node.layer))
            args = _map(node.args, lambda a: {"tensor": where[id(a)]} if isinstance(a, KerasTensor) else a)
            node_specs.append({"layer": layer_index[id(node.layer)], "args": args,
                               "kwargs": node.kwargs})
            for j, t in enumerate(node.outputs):
                where[id(t)] = ["node", k, j]
        spec = {"class_name": "Functional", "config": {
            "name": model.name, "layers": layers, "nodes": node_specs,
            "inputs": [{"name": t.name, "shape": list(t.shape[1:]), "dtype": t.dtype,
                        "batch_size": t.shape[0]} for t in ins],
            "outputs": [where[id(t)] for t in outs],
            "single_input": model._single_input, "single_output": model._single_output}}
        try:
            json.dumps(spec)
        except TypeError:
            raise ValueError("Model.save: a layer was called with arguments that cannot be "
                             "written as JSON") from None
        return spec
    raise ValueError("Model.save: only Sequential and functional models carry an architecture "
                     "that can be saved; for a subclassed or wrapped model use save_weights(path) "
                     "or fastnn.save(model.state_dict(), path)")


def _compile_spec(model):
    from . import optimizers as kopt
    from .metrics import Metric
    from . import losses as klosses
    compiled = getattr(model, "_compiled", None)
    if not compiled:
        return None
    loss = compiled.get("loss_spec")
    if isinstance(loss, klosses.Loss) and type(loss).__name__ in vars(klosses) \
            and _jsonable(vars(loss)):
        loss = {"class_name": type(loss).__name__, "config": dict(vars(loss))}
    elif not isinstance(loss, str):
        return None
    metrics = []
    for m in compiled["metric_specs"]:
        if isinstance(m, str):
            metrics.append(m)
        elif isinstance(m, Metric):
            metrics.append({"class_name": type(m).__name__, "config": m.get_config()})
        else:
            return None
    opt = compiled["optimizer"]
    if not isinstance(opt, kopt.Optimizer):
        return None
    return {"optimizer": kopt.serialize(opt), "loss": loss, "metrics": metrics}


def save_model(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True, **kwargs: Any) -> None:
    """Write a Sequential or functional model to one ``.keras`` file (safetensors): the
    architecture as JSON, the weights, and the compile settings when they can be named.

    ``Model.save(filepath)`` calls this. Every layer must be a Keras layer whose
    ``get_config()`` is JSON (no Lambda, no Python function as activation).

    Args:
        model (Sequential or Model): the model.
        filepath (str or os.PathLike): a path ending in ``.keras`` (HDF5 ``.h5`` is not
            supported).
        overwrite (bool): replace an existing file. Default: True.
        **kwargs: accepted for Keras compatibility.

    Example::

        >>> import os, tempfile
        >>> from fastnn import keras
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="relu")])
        >>> _ = model.compile(optimizer="adam", loss="mse")
        >>> tmp = tempfile.TemporaryDirectory()
        >>> path = os.path.join(tmp.name, "model.keras")
        >>> model.save(path)
        >>> loaded = keras.models.load_model(path)
        >>> x = np.ones((1, 3), "float32")
        >>> np.array_equal(loaded.predict(x), model.predict(x)), type(loaded.optimizer).__name__
        (True, 'Adam')
        >>> tmp.cleanup()
    """
    filepath = os.fspath(filepath)
    if filepath.endswith(".h5") or filepath.endswith(".hdf5"):
        raise ValueError("Model.save: the legacy HDF5 format is not supported; use a path "
                         "ending in .keras")
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving: {filepath!r}. Please add a "
                         "`.keras` extension.")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"Model.save: {filepath} exists and overwrite=False")
    meta = {_MODEL_KEY: json.dumps(_model_spec(model))}
    comp = _compile_spec(model)
    if comp is not None:
        meta[_COMPILE_KEY] = json.dumps(comp)
    fio.save(model.state_dict(), filepath, metadata=meta)


def _layer_classes(custom_objects):
    from . import layers as L
    classes = {name: obj for name, obj in vars(L).items()
               if isinstance(obj, type) and issubclass(obj, L.Layer)}
    classes.update(custom_objects or {})
    return classes


def _build_layer(spec, classes):
    cls = classes.get(spec["class_name"])
    if cls is None:
        raise ValueError(f"load_model: unknown layer class {spec['class_name']!r}; pass it in "
                         "custom_objects={'Name': Class}")
    config = dict(spec["config"])
    return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)


def _build_model(spec, custom_objects):
    from .functional import Input, _map
    from .model import Model
    from .sequential import Sequential
    classes = _layer_classes(custom_objects)
    cfg = spec["config"]
    if spec["class_name"] == "Sequential":
        model = Sequential(name=cfg["name"])
        if cfg.get("build_input_shape") is not None:
            model.add(Input(shape=tuple(cfg["build_input_shape"]), dtype=cfg.get("input_dtype")))
        for layer_spec in cfg["layers"]:
            model.add(_build_layer(layer_spec, classes))
        return model
    if spec["class_name"] != "Functional":
        raise ValueError(f"load_model: unknown model class {spec['class_name']!r}")
    ins = [Input(shape=tuple(i["shape"]), batch_size=i.get("batch_size"), dtype=i["dtype"],
                 name=i["name"]) for i in cfg["inputs"]]
    layers = [_build_layer(s, classes) for s in cfg["layers"]]
    outputs_of = []

    def resolve(ref):
        return ins[ref[1]] if ref[0] == "input" else outputs_of[ref[1]][ref[2]]

    for node in cfg["nodes"]:
        args = _map(node["args"], lambda a: resolve(a["tensor"]) if isinstance(a, dict) and
                    set(a) == {"tensor"} else a)
        out = layers[node["layer"]](*args, **node["kwargs"])
        outputs_of.append(out if isinstance(out, list) else [out])
    outs = [resolve(r) for r in cfg["outputs"]]
    return Model(ins[0] if cfg["single_input"] else ins,
                 outs[0] if cfg["single_output"] else outs, name=cfg["name"])


def load_model(filepath: str | os.PathLike[str], custom_objects: dict[str, type] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Rebuild a model written by ``Model.save``: architecture, weights, and (when it
    was compiled with named parts) its compile settings. No code from the file runs.

    Args:
        filepath (str or os.PathLike): the ``.keras`` file.
        custom_objects (dict, optional): ``{"ClassName": cls}`` for custom layer classes
            (rebuilt with ``cls.from_config(config)``). Default: None.
        compile (bool): compile the model as it was saved (fresh optimizer state).
            Default: True.
        safe_mode (bool): accepted; loading is always safe.

    Returns:
        The Sequential or functional Model. See :func:`save_model` for an example.
    """
    state, meta = fio.load(os.fspath(filepath), return_metadata=True)
    if _MODEL_KEY not in meta:
        raise ValueError(f"load_model: {filepath} holds no model architecture (was it written "
                         "by Model.save? weights alone load with model.load_weights)")
    model = _build_model(json.loads(meta[_MODEL_KEY]), custom_objects)
    model.load_state_dict(state)
    if compile and _COMPILE_KEY in meta:
        from . import metrics as kmetrics
        from . import optimizers as kopt
        comp = json.loads(meta[_COMPILE_KEY])
        metrics = [m if isinstance(m, str) else getattr(kmetrics, m["class_name"])(**m["config"])
                   for m in comp["metrics"]]
        from . import losses as klosses
        loss = comp["loss"]
        if isinstance(loss, dict):
            cls = getattr(klosses, loss["class_name"], None)
            if not (isinstance(cls, type) and issubclass(cls, klosses.Loss)):
                raise ValueError(f"load_model: unknown loss class {loss['class_name']!r}")
            loss = cls(**loss["config"])
        model.compile(optimizer=kopt.deserialize(comp["optimizer"]), loss=loss, metrics=metrics)
    return model


def save_weights(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Write the weights alone: the ``state_dict()`` as safetensors, whatever the file name
    says (e.g. ``.weights.h5``).

    Args:
        model: a keras Model or Sequential, a ``Model(net)`` wrapper, or any fastnn Module.
        filepath (str or os.PathLike): where to write.
        overwrite (bool): replace an existing file. Default: True.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_weights: {filepath} exists and overwrite=False")
    fio.save(model.state_dict(), filepath)


def load_weights(model: Any, filepath: str | os.PathLike[str]) -> None:
    """Load weights written by :func:`save_weights` (or ``Model.save``) into ``model``,
    whose architecture must match.

    Example::

        >>> import os, tempfile
        >>> from fastnn import keras
        >>> make = lambda: keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> a, b = make(), make()
        >>> tmp = tempfile.TemporaryDirectory()
        >>> a.save_weights(os.path.join(tmp.name, "w.weights.h5"))
        >>> b.load_weights(os.path.join(tmp.name, "w.weights.h5"))
        >>> all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
        True
        >>> tmp.cleanup()
    """
    model.load_state_dict(fio.load(os.fspath(filepath)))
