"""The per-epoch progress bar of ``fit``: tqdm when installed, else a built-in line.

The built-in bar prints Keras's layout on one terminal line, redrawn with
``\\r``:  ``12/45 [=======>......] - ETA: 3s - loss: 0.3121 - accuracy: 0.9062``
"""
from __future__ import annotations

import sys
import time
from typing import IO, Any


def _fmt_logs(logs: dict[str, Any]) -> str:
    return "".join(f" - {k}: {v:.4f}" for k, v in logs.items())


def _fmt_seconds(s: float) -> str:
    if s >= 3600:
        return f"{int(s // 3600)}:{int(s % 3600 // 60):02d}:{int(s % 60):02d}"
    if s >= 60:
        return f"{int(s // 60)}:{int(s % 60):02d}"
    return f"{s:.0f}s"


class ProgressBar:
    """One epoch's bar over ``total`` steps. ``verbose``: 0 silent, 1 bar, 2 one line per epoch."""

    def __init__(self, total: int, verbose: int = 1, width: int = 30, stream: IO[str] | None = None,
                 use_tqdm: bool | None = None) -> None:
        self.total = total
        self.verbose = verbose
        self.width = width
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self.seen = 0
        self._tqdm = None
        self._last_draw = 0.0
        if verbose == 1 and use_tqdm is not False:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._tqdm = tqdm(total=total, file=self.stream, leave=True, unit="step",
                                  dynamic_ncols=True)

    def update(self, step: int, logs: dict[str, Any]) -> None:
        """Report that ``step`` of ``total`` steps are done with running ``logs``."""
        delta, self.seen = step - self.seen, step
        if self.verbose != 1:
            return
        if self._tqdm is not None:
            self._tqdm.update(delta)
            self._tqdm.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
            return
        now = time.perf_counter()
        # Redraw at most ~20 times a second: printing dominates tiny steps otherwise.
        if step < self.total and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        elapsed = now - self.start
        done = min(self.width, int(self.width * step / max(self.total, 1)))
        bar = "=" * max(done - 1, 0) + (">" if step < self.total else "=") if done else ""
        bar = bar + "." * (self.width - len(bar))
        n = len(str(self.total))
        if step < self.total:
            eta = elapsed / max(step, 1) * (self.total - step)
            timing = f" - ETA: {_fmt_seconds(eta)}"
        else:
            timing = f" - {_fmt_seconds(elapsed)} {1000 * elapsed / max(step, 1):.0f}ms/step"
        self.stream.write(f"\r{step:>{n}}/{self.total} [{bar}]{timing}{_fmt_logs(logs)}")
        self.stream.flush()

    def close(self, logs: dict[str, Any]) -> None:
        """Finish the epoch's line with the final ``logs`` (validation included)."""
        elapsed = time.perf_counter() - self.start
        if self.verbose == 0:
            return
        if self._tqdm is not None:
            self._tqdm.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=True)
            self._tqdm.close()
            return
        if self.verbose == 2:
            self.stream.write(f"{self.total}/{self.total} - {_fmt_seconds(elapsed)}{_fmt_logs(logs)}\n")
        else:
            self.seen = self.total - 1 if self.seen >= self.total else self.seen
            self._last_draw = 0.0
            self.update(self.total, logs)
            self.stream.write("\n")
        self.stream.flush()
