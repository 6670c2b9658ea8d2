"""The corpus: example scripts written the way users write PyTorch and Keras code
(``import torch`` / ``import keras``), run in a fresh subprocess in their short mode with
only the import swapped to fastnn (run_script.py), and -- where PyTorch (or Keras) is
installed -- run unchanged on it too, the final metrics compared.

Each entry: the metric the script prints as ``RESULT name=value``, a bound fastnn must
reach on its own (so the test means something without PyTorch), how close to PyTorch's
value it must come (different random streams make the runs differ within noise), and,
for scripts that need a feature still missing, a check that skips with the reason until
the feature exists -- they then start running by themselves.
"""
import functools
import importlib.util
import os
import re
import subprocess
import sys

import pytest

import fastnn

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "run_script.py")
ROOT = os.path.dirname(os.path.dirname(HERE))


def _has(obj, *names):
    missing = [n for n in names if not hasattr(obj, n)]
    return None if not missing else f"needs {', '.join(missing)} (not in fastnn yet)"


def _formats_0d():
    try:
        format(fastnn.tensor(1.5), "+.2f")
        return None
    except TypeError:
        return "needs format specs on 0-d tensors (f'{t:.2f}'), not in fastnn yet"


def _factories_take_device():
    try:
        fastnn.randn(1, device="cpu")
        fastnn.full((1,), 1.0, dtype=fastnn.float32, device="cpu")
        return None
    except TypeError:
        return "needs device= on factory functions (randn, full), not in fastnn yet"


def _all(*checks):
    """The first reason among ``checks`` to skip, or None."""
    return lambda: next((r for r in (c() for c in checks) if r), None)


# name: (metric, fastnn bound (op, value), torch comparison (kind, tolerance), requires)
CORPUS = {
    "mnist_cnn": ("accuracy", (">=", 0.85), ("abs", 0.07), None),
    "mnist_rnn": ("accuracy", (">=", 0.70), ("abs", 0.12), None),
    "mnist_accelerator": ("accuracy", (">=", 0.85), ("abs", 0.07),
                          lambda: _has(fastnn, "accelerator")),
    "regression": ("weight_error", ("<=", 0.5), (None, None), _formats_0d),
    "time_sequence_prediction": ("test_loss", ("<=", 0.01), ("ratio", 4.0), None),
    "vae": ("test_loss", ("<=", 34.0), ("rel", 0.05), None),
    "word_language_model_lstm": ("val_ppl", ("<=", 30.0), ("rel", 0.15), None),
    "dcgan": ("d_x", (">=", 0.05), (None, None),
              _all(lambda: _has(fastnn.nn, "ConvTranspose2d"), _factories_take_device)),
    "word_language_model_transformer": ("val_ppl", ("<=", 30.0), ("rel", 0.3),
                                        lambda: _has(fastnn.nn, "Transformer", "TransformerEncoder")),
    "forward_forward": ("test_error", ("<=", 0.5), ("abs", 0.15), None),
    "mlp_warmup_restarts": ("accuracy", (">=", 0.9), ("abs", 0.04), None),
    "siamese_network": ("accuracy", (">=", 0.6), ("abs", 0.16), None),
    "gcn": ("accuracy", (">=", 0.8), ("abs", 0.1),
            lambda: _has(fastnn, "sparse_coo_tensor", "sparse")),
    "super_resolution": ("psnr", (">=", 12.0), ("abs", 2.5),
                         lambda: _has(fastnn.nn, "PixelShuffle")),
    # RL: episode returns vary a lot with the random stream, so the bound is the check
    "reinforce": ("running_reward", (">=", 40.0), (None, None),
                  lambda: _has(fastnn, "distributions")),
    "actor_critic": ("running_reward", (">=", 20.0), (None, None),
                     lambda: _has(fastnn, "distributions")),
    "fast_neural_style": ("total_loss", ("<=", 2.9e8), ("rel", 0.1),
                          lambda: _has(fastnn.nn, "InstanceNorm2d", "ReflectionPad2d")),
    "char_gpt": ("test_loss", ("<=", 0.6), ("rel", 0.15),
                 lambda: _has(fastnn, "amp")),
    "language_translation": ("exact_match", (">=", 0.75), ("abs", 0.2),
                             lambda: _has(fastnn.nn, "Transformer")),
    "gat": ("accuracy", (">=", 0.8), ("abs", 0.15),
            lambda: _has(fastnn, "sparse_coo_tensor", "accelerator")),
    "keras_timeseries_classification": ("accuracy", (">=", 0.8), ("abs", 0.08),
                                        lambda: _has(fastnn.keras.layers, "ReLU")),
    "seq2seq_attention": ("exact_match", (">=", 0.6), ("abs", 0.2), None),
    "mnist_hogwild": ("accuracy", (">=", 0.6), ("abs", 0.15),
                      lambda: _has(fastnn, "multiprocessing")),
    "keras_timeseries_transformer": ("accuracy", (">=", 0.75), ("abs", 0.1),
                                     lambda: _has(fastnn.keras.layers, "MultiHeadAttention")),
    "keras_text_transformer": ("accuracy", (">=", 0.85), ("abs", 0.05),
                               lambda: _has(fastnn.keras.layers, "MultiHeadAttention")),
    "nn_tutorial": ("accuracy", (">=", 0.9), ("abs", 0.03), None),
    "imagenet_resnet": ("accuracy", (">=", 0.9), ("abs", 0.04), None),
    "keras_mnist_convnet": ("accuracy", (">=", 0.70), ("abs", 0.08), None),
    "keras_imbalanced_classification": ("val_auc", (">=", 0.95), ("abs", 0.03), None),
    "keras_functional_api": ("accuracy", (">=", 0.85), ("abs", 0.05), None),
    "keras_text_classification": ("accuracy", (">=", 0.85), ("abs", 0.05), None),
    "keras_subclassed_model": ("accuracy", (">=", 0.9), ("abs", 0.05), None),
}

# The Keras scripts are compared with real Keras when an interpreter that has it is named
# (FASTNN_CORPUS_KERAS_PYTHON=/path/to/python, KERAS_BACKEND as that install needs) or
# when this interpreter has it; otherwise their bounds are the check.
KERAS_PYTHON = os.environ.get("FASTNN_CORPUS_KERAS_PYTHON") or \
    (sys.executable if importlib.util.find_spec("keras") else None)


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OMP_NUM_THREADS", "1")  # the reference run should not fight fastnn for cores
    return env


def _parse(line, metric):
    m = re.search(rf"RESULT {metric}=([-+0-9.eE]+|nan|inf)", line)
    return float(m.group(1)) if m else None


@functools.lru_cache(maxsize=None)
def _native_results(family):
    """Every script's metric of one family ('torch' or 'keras') run unchanged on the real
    framework, from one reference process (one framework import)."""
    if family == "torch":
        python = sys.executable if importlib.util.find_spec("torch") is not None else None
    else:
        python = KERAS_PYTHON
    if python is None:
        return {}
    scripts = [os.path.join("scripts", f"{n}.py") for n in CORPUS
               if n.startswith("keras_") == (family == "keras")]
    env = _env()
    if family == "keras":
        env.setdefault("KERAS_BACKEND", "torch")
    proc = subprocess.run([python, RUNNER, "native-batch", *scripts], cwd=HERE, env=env,
                          capture_output=True, text=True, timeout=300)
    out = {}
    for line in proc.stdout.splitlines():
        path, _, rest = line.partition(" ")
        name = os.path.splitext(os.path.basename(path))[0]
        if name in CORPUS:
            out[name] = _parse(rest, CORPUS[name][0])
    return out


@pytest.mark.parametrize("name", list(CORPUS))
def test_script_runs_on_fastnn_and_matches_reference(name):
    metric, (op, bound), (kind, tol), requires = CORPUS[name]
    reason = requires() if requires else None
    if reason:
        pytest.skip(reason)
    proc = subprocess.run([sys.executable, RUNNER, "fastnn", os.path.join("scripts", f"{name}.py"),
                           "--quick"], cwd=HERE, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{name} failed on fastnn:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    value = _parse(proc.stdout, metric)
    assert value is not None, f"{name} printed no RESULT {metric}=...:\n{proc.stdout[-2000:]}"
    assert (value >= bound) if op == ">=" else (value <= bound), \
        f"{name}: {metric}={value} misses the bound {op} {bound}"
    if kind is None:
        return
    ref = _native_results("keras" if name.startswith("keras_") else "torch").get(name)
    if ref is None:
        return  # no PyTorch / Keras here (or its run failed): the bound above is the check
    if kind == "abs":
        assert abs(value - ref) <= tol, f"{name}: fastnn {metric}={value}, PyTorch {ref}"
    elif kind == "rel":
        assert abs(value - ref) <= tol * abs(ref), f"{name}: fastnn {metric}={value}, PyTorch {ref}"
    else:  # ratio: within a factor either way (losses near zero vary multiplicatively)
        assert ref / tol <= value <= ref * tol, f"{name}: fastnn {metric}={value}, PyTorch {ref}"


def test_aliases_resolve_to_fastnn():
    code = ("import run_script; run_script.install_aliases()\n"
            "import torch, torch.nn as nn, torch.optim.lr_scheduler as S, keras, keras.layers\n"
            "from torch.utils.data import DataLoader\n"
            "import fastnn\n"
            "assert torch is fastnn and nn is fastnn.nn and S is fastnn.optim.lr_scheduler\n"
            "assert keras is fastnn.keras and DataLoader is fastnn.utils.data.DataLoader\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=HERE, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr
