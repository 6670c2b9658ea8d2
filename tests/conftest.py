"""Test-session settings that must be in place before fastnn's kernels load."""
import os

# Small test inputs would otherwise stay on one thread (see
# fastnn/backends/native/common/parallel.h); scale 0 sends them through the
# multi-threaded paths, so the 1-vs-2-thread tests compare both code paths.
os.environ.setdefault("FASTNN_PAR_MIN_SCALE", "0")
