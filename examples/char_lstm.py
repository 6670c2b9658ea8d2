"""A character-level LSTM language model, trained on text that ships with Python.

    python examples/char_lstm.py [--steps N] [--quick]

The corpus is gathered at run time: the Zen of Python (the ROT13 text inside the
standard ``this`` module, decoded) and the docstrings of a few standard modules.
The model reads a window of characters and predicts each next one:

    Embedding(vocab, 32) -> LSTM(32, H, batch_first=True) -> Linear(H, vocab)

trained with cross-entropy, Adam and clip_grad_norm_ (the usual guard against
exploding gradients in recurrent nets), written as a plain PyTorch-style loop.
It prints the loss as it falls, then samples text one character at a time,
carrying the LSTM state (h, c) from step to step, at two temperatures: low
temperature picks likely characters (repetitive), high temperature is more
varied (and more misspelled). The corpus is small (about 12k characters), so the
full run (~2 minutes on 2 cores) ends up largely reciting it; --quick only shows
the loss falling and the first word-like fragments.
"""
import argparse
import codecs
import contextlib
import inspect
import io
import time

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.nn.utils import clip_grad_norm_

MODULES = ("collections", "functools", "itertools", "json", "textwrap", "string", "random",
           "heapq", "bisect", "contextlib", "argparse", "pathlib")


def load_corpus():
    with contextlib.redirect_stdout(io.StringIO()):  # `import this` prints the Zen
        import this
    texts = [codecs.decode(this.s, "rot13")]
    for name in MODULES:
        mod = __import__(name)
        doc = inspect.getdoc(mod)
        if doc:
            texts.append(doc)
    return "\n\n".join(texts)


class CharModel(nn.Module):
    def __init__(self, vocab, hidden, embed=32, num_layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.embed(idx), state)  # (B, T, H)
        return self.head(out), state                    # (B, T, vocab)


def batches(data, seq_len, batch_size, rng):
    """Random windows: inputs data[s:s+L], targets shifted by one character."""
    starts = rng.integers(0, len(data) - seq_len - 1, batch_size)
    window = np.stack([data[s:s + seq_len + 1] for s in starts])
    return fastnn.from_numpy(window[:, :-1]), fastnn.from_numpy(window[:, 1:])


def sample(model, stoi, itos, prime, length, temperature, rng):
    model.eval()
    out = list(prime)
    with fastnn.no_grad():
        idx = fastnn.from_numpy(np.array([[stoi[c] for c in prime]], dtype=np.int64))
        logits, state = model(idx)
        for _ in range(length):
            z = logits.numpy()[0, -1].astype(np.float64) / temperature
            p = np.exp(z - z.max())
            c = int(rng.choice(len(p), p=p / p.sum()))
            out.append(itos[c])
            logits, state = model(fastnn.from_numpy(np.array([[c]], dtype=np.int64)), state)
    model.train()
    return "".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="a few seconds: small model, 250 steps")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.hidden, args.seq_len, args.batch_size = 250, 64, 32, 16
    fastnn.manual_seed(0)
    rng = np.random.default_rng(0)

    text = load_corpus()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    print(f"corpus: {len(text)} characters, vocabulary of {len(chars)}")

    model = CharModel(len(chars), args.hidden)
    opt = fastnn.optim.Adam(model.parameters(), lr=3e-3)
    every = max(args.steps // 10, 1)
    history, running, t0 = [], [], time.time()
    for step in range(1, args.steps + 1):
        x, y = batches(data, args.seq_len, args.batch_size, rng)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        grad_norm = clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(loss.item())
        if step % every == 0 or step == 1:
            history.append(float(np.mean(running)))
            print(f"step {step:5d}  loss {history[-1]:.3f}  grad norm {grad_norm.item():6.2f}  "
                  f"({time.time() - t0:.1f}s)")
            running = []
    print(f"loss fell from {history[0]:.3f} to {history[-1]:.3f} "
          f"(uniform guess: {np.log(len(chars)):.3f})")
    for temperature in (0.5, 1.0):
        text_out = sample(model, stoi, chars, "The ", 200 if not args.quick else 80,
                          temperature, rng)
        print(f"\n--- sample, temperature {temperature} ---\n{text_out}")
    return history


if __name__ == "__main__":
    main()
