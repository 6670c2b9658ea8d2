"""The two ways tracing reports what it cannot capture."""


class TraceError(RuntimeError):
    """The forward cannot be captured as a graph (the message says why)."""


class TracerWarning(UserWarning):
    """A traced value was read into Python: the graph holds this run's result."""
