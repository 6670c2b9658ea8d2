"""Benchmarks of fastnn's kernels and models: ``python -m fastnn.bench``."""
from .runner import format_table, time_case  # noqa: F401
