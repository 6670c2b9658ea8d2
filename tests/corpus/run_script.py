"""Run one corpus script as ``__main__`` on a chosen backend:

    python run_script.py fastnn scripts/mnist_cnn.py --quick
    python run_script.py native scripts/mnist_cnn.py --quick
    python run_script.py native-batch scripts/a.py scripts/b.py   (each with --quick)

With ``fastnn`` the script's ``import torch`` / ``import keras`` (and their submodules)
resolve to fastnn and fastnn.keras: the only change a user makes when porting. With
``native`` the script runs unchanged on the installed PyTorch (or Keras).
``native-batch`` runs several scripts in one process (one PyTorch import instead of
one per script) and prints each one's ``RESULT`` line prefixed by its path.
``local_data`` (the stand-in for downloads) is importable in every mode.
"""
import contextlib
import importlib
import importlib.abc
import io
import importlib.util
import os
import runpy
import sys

ALIASES = {"torch": "fastnn", "keras": "fastnn.keras"}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``torch.x.y`` -> the already-made module ``fastnn.x.y`` (same object, no copy)."""

    def find_spec(self, fullname, path=None, target=None):
        root = fullname.split(".")[0]
        if root not in ALIASES:
            return None
        real = ALIASES[root] + fullname[len(root):]
        try:
            importlib.import_module(real)
        except ImportError:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        root = spec.name.split(".")[0]
        module = sys.modules[ALIASES[root] + spec.name[len(root):]]
        self._saved_spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._saved_spec  # keep fastnn's own spec for its relative imports


def install_aliases():
    import fastnn  # noqa: F401
    import fastnn.keras  # noqa: F401
    for name, module in list(sys.modules.items()):
        for alias, real in ALIASES.items():
            if name == real or name.startswith(real + "."):
                sys.modules.setdefault(alias + name[len(real):], module)
    sys.meta_path.insert(0, _AliasFinder())


def run_batch(scripts):
    for script in scripts:
        buf = io.StringIO()
        sys.argv = [script, "--quick"]
        try:
            with contextlib.redirect_stdout(buf):
                runpy.run_path(script, run_name="__main__")
            lines = [l for l in buf.getvalue().splitlines() if l.startswith("RESULT ")]
            print(f"{script} {lines[-1] if lines else 'NORESULT'}", flush=True)
        except Exception as exc:  # one failing script must not hide the others' results
            print(f"{script} ERROR {type(exc).__name__}: {exc}", flush=True)


def main():
    backend, *rest = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "data"))
    if backend == "native-batch":
        return run_batch(rest)
    script, *args = rest
    if backend == "fastnn":
        install_aliases()
        # processes the script spawns install the aliases too (_alias_site/sitecustomize.py)
        os.environ["FASTNN_CORPUS_ALIASES"] = "1"
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [os.path.join(here, "_alias_site"), os.path.join(here, "data")]
            + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    elif backend != "native":
        raise SystemExit(f"backend must be 'fastnn', 'native' or 'native-batch', got {backend!r}")
    sys.argv = [script] + args
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
