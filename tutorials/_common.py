"""Small helpers shared by the tutorials: command-line flags (or their defaults in a
notebook), the examples/ import path, and line plots that fall back to a message when
matplotlib is not installed."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def parser(doc):
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a few seconds, for the tests: smaller, shorter")
    p.add_argument("--out", default="tutorial_out", help="folder for the PNGs (default: tutorial_out)")
    return p


def in_notebook():
    """True inside a Jupyter kernel, whose command line is the kernel's, not ours."""
    return "ipykernel" in sys.modules


def options(title, extra=None):
    """The tutorial's flags: --quick, --out and whatever ``extra(parser)`` adds.
    From the command line when run as a script; the defaults (the full run) in
    a notebook."""
    p = parser(title)
    if extra is not None:
        extra(p)
    return p.parse_args([] if in_notebook() else None)


def import_example(name):
    """Import examples/<name>.py as a module (the tutorials reuse the examples, not copy them)."""
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    return __import__(name)


def plot_curves(path, curves, title, xlabel="epoch", ylabel="loss", logy=False):
    """Line plot of {label: [values]} to ``path``; returns the path, or None when
    matplotlib is missing (and says so)."""
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed, so no plot was written ({path}); "
              "pip install matplotlib to get the training curves")
        return None
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for label, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, marker="o" if len(values) < 30 else None, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"training curves written to {path}")
    return path
