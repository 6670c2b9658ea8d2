"""help()-level documentation of fastnn.nn: every public class, init function and
nn.utils function has a PyTorch-style docstring (Args, Shape for layers, an
Example with >>> lines) and type hints on its constructor and forward.

The examples themselves run in tests/test_doctests.py; here the sections are
required to exist, so a new layer without them fails. The checker is also run
on a deliberately undocumented class, so it cannot pass by checking nothing.
"""
import inspect
import pydoc
import re

import pytest

import fastnn
from fastnn import nn
from fastnn.nn import init
from fastnn.nn.utils import parametrize
from fastnn.nn.utils import rnn as rnn_utils

# Hold other modules and have no forward of their own: no Shape section.
_CONTAINERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
               "ParameterDict"}


def _own_doc(obj):
    """The docstring written on ``obj`` itself (a class inherits its base's otherwise)."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return inspect.cleandoc(doc) if doc else ""


def _has_example(doc):
    return "Example::" in doc and re.search(r"^\s*>>> ", doc, re.M) is not None


def _takes_arguments(fn):
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    return bool(params)


def _annotated(fn):
    sig = inspect.signature(fn)
    return sig.return_annotation is not inspect.Signature.empty and all(
        p.annotation is not inspect.Parameter.empty
        for p in sig.parameters.values() if p.name != "self")


def class_doc_problems(cls):
    """What the docstring and hints of layer class ``cls`` lack (empty: nothing)."""
    doc, name = _own_doc(cls), cls.__name__
    problems = []
    if not doc:
        return [f"{name}: no docstring of its own"]
    if len(doc.splitlines()[0]) < 10:
        problems.append(f"{name}: no one-line summary")
    if not _has_example(doc):
        problems.append(f"{name}: no Example:: with >>> lines")
    own_init = cls.__init__ is not nn.Module.__init__
    if own_init and _takes_arguments(cls.__init__) and "Args:" not in doc:
        problems.append(f"{name}: the constructor takes arguments but there is no Args: section")
    if issubclass(cls, nn.Module):
        if name not in _CONTAINERS and "Shape:" not in doc:
            problems.append(f"{name}: a layer without a Shape: section")
        if "__init__" in cls.__dict__ and not _annotated(cls.__init__):
            problems.append(f"{name}.__init__: missing type hints")
        if "forward" in cls.__dict__ and not _annotated(cls.forward):
            problems.append(f"{name}.forward: missing type hints")
    return problems


def function_doc_problems(fn):
    doc, name = _own_doc(fn), fn.__name__
    if not doc:
        return [f"{name}: no docstring"]
    problems = []
    if not _has_example(doc):
        problems.append(f"{name}: no Example:: with >>> lines")
    if not _annotated(fn):
        problems.append(f"{name}: missing type hints")
    return problems


def _public_nn_classes():
    # the layers and Parameter (nn.SummaryInfo, a result record of nn.summary, is not one)
    classes = [getattr(nn, n) for n in nn.__all__ if inspect.isclass(getattr(nn, n))]
    return sorted((c for c in classes if issubclass(c, (nn.Module, nn.Parameter))),
                  key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _public_nn_classes(), ids=lambda c: c.__name__)
def test_every_public_nn_class_is_documented(cls):
    assert class_doc_problems(cls) == []


_INIT_FUNCTIONS = [getattr(init, n) for n in init.__all__]
_UTILS_FUNCTIONS = ([getattr(nn.utils, n) for n in nn.utils.__all__
                     if inspect.isfunction(getattr(nn.utils, n))]
                    + [getattr(rnn_utils, n) for n in rnn_utils.__all__
                       if inspect.isfunction(getattr(rnn_utils, n))]
                    + [parametrize.register_parametrization, parametrize.remove_parametrizations,
                       parametrize.is_parametrized, nn.utils.parametrizations.weight_norm,
                       nn.utils.parametrizations.spectral_norm])


@pytest.mark.parametrize("fn", _INIT_FUNCTIONS + _UTILS_FUNCTIONS,
                         ids=lambda f: f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}")
def test_every_init_and_utils_function_is_documented(fn):
    assert function_doc_problems(fn) == []
    if _takes_arguments(fn):
        assert "Args:" in _own_doc(fn) or fn.__name__ in ("ones_", "zeros_", "unpack_sequence",
                                                          "is_parametrized"), fn.__name__


def test_module_public_methods_are_documented_and_typed():
    missing = []
    for name, member in inspect.getmembers(nn.Module, inspect.isfunction):
        if name.startswith("_"):
            continue
        if not (member.__doc__ or "").strip():
            missing.append(f"{name}: no docstring")
        elif not _annotated(member):
            missing.append(f"{name}: missing type hints")
    assert missing == []


def test_help_shows_the_pytorch_style_sections():
    # what `help(nn.Conv2d)` prints: the summary, every section and the size formula
    text = pydoc.render_doc(nn.Conv2d, renderer=pydoc.plaintext)
    for part in ("Applies a 2-D convolution", "Args:", "in_channels (int)", "Shape:",
                 "H_out = floor((H_in + 2 * padding[0]", "Attributes:", "Example::"):
        assert part in text, part


def test_the_checker_flags_an_undocumented_layer():
    class Bare(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.width = width

        def forward(self, x):
            return x

    class HalfDone(nn.Module):
        """Scales its input by a learnt factor, elementwise."""

        def __init__(self, width: int) -> None:
            super().__init__()

        def forward(self, x):
            return x

    assert class_doc_problems(Bare) == ["Bare: no docstring of its own"]
    problems = class_doc_problems(HalfDone)
    assert any("Example" in p for p in problems)
    assert any("Args:" in p for p in problems)
    assert any("Shape:" in p for p in problems)
    assert any("HalfDone.forward: missing type hints" == p for p in problems)

    def undocumented(x):
        return x
    assert function_doc_problems(undocumented) == ["undocumented: no docstring"]


def test_every_import_path_of_the_split_files_still_works():
    # module.py and rnn.py were split by concern; the old import paths stay
    from fastnn.nn.modules.module import Module, RemovableHandle, move_array  # noqa: F401
    from fastnn.nn.modules.rnn import (RNNBase, RNN, LSTM, GRU, RNNCellBase,  # noqa: F401
                                       RNNCell, LSTMCell, GRUCell)
    from fastnn.nn.modules.activation import MultiheadAttention  # noqa: F401
    from fastnn.nn.modules.padding import ZeroPad2d, ReflectionPad3d, ConstantPad1d  # noqa: F401
    assert nn.LSTMCell is LSTMCell and nn.Module is Module
    assert fastnn.nn.modules.padding.__all__ == [
        f"{kind}Pad{n}d" for n in (1, 2, 3)
        for kind in ("Reflection", "Replication", "Circular", "Zero", "Constant")]
