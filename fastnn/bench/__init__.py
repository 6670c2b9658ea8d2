"""Benchmarks of fastnn's kernels and models: ``python -m fastnn.bench``."""
from .runner import format_report, format_table, run_fresh, run_in_process, time_case  # noqa: F401
