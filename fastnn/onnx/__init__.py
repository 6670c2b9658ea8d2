"""ONNX in and out: ``fastnn.onnx.export`` (PyTorch's ``torch.onnx.export``
signature) writes a model's captured graph (``fastnn.graph``) as an ONNX file;
``fastnn.onnx.load`` turns an ONNX file into an ``nn.Module`` that runs, and
trains, on fastnn.

Both need the ``onnx`` package (``pip install "fastnn[onnx]"``); ``import
fastnn`` never does.
"""


def _require_onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(
            "fastnn.onnx needs the 'onnx' package: pip install \"fastnn[onnx]\" "
            "(and onnxruntime to run the exported files)") from None
    return onnx


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None,
           opset_version=None, **kwargs):
    """Trace ``model`` on ``args`` and write it to ``f`` (a path or a binary
    file object) as ONNX. Same signature as ``torch.onnx.export``."""
    _require_onnx()
    from ._export import export as _export
    return _export(model, args, f, input_names=input_names, output_names=output_names,
                   dynamic_axes=dynamic_axes, opset_version=opset_version, **kwargs)


def load(f):
    """Read an ONNX model (a path, a binary file object or an ``onnx.ModelProto``)
    and return an ``nn.Module`` whose forward takes the graph's inputs in order."""
    _require_onnx()
    from ._import import load as _load
    return _load(f)


__all__ = ["export", "load"]
