"""Whether operations record the graph: no_grad, enable_grad, set_grad_enabled, inference_mode.

The state is per thread, as in PyTorch: a thread serving ``no_grad`` inference
must not switch recording off in a thread that trains, and two threads' blocks
may enter and exit in any interleaving (A enters, B enters, A exits, B exits)
without leaking into each other. A thread starts with grad mode on and
inference mode off, whatever the thread that started it was doing (PyTorch
does not inherit either).

Each context manager remembers what it replaced per thread and per entry, so
one instance can be shared between threads or re-entered (``with ng: with ng:``)
and every exit restores exactly what its own entry found.
"""
import functools
import threading


class _State(threading.local):
    # Class attributes are every new thread's starting values.
    grad = True        # is_grad_enabled()
    inference = False  # is_inference_mode_enabled()
    # What Function.apply and the in-place ops test on every call: one attribute
    # read. Inference mode records nothing even under enable_grad (PyTorch:
    # tensors made there are inference tensors, outside autograd).
    record = True


_state = _State()


def _set(grad, inference):
    _state.grad = grad
    _state.inference = inference
    _state.record = grad and not inference


def is_grad_enabled():
    """Whether grad mode is on in the calling thread."""
    return _state.grad


def is_inference_mode_enabled():
    """Whether the calling thread is inside ``inference_mode()``."""
    return _state.inference


class _Switch:
    """Shared machinery: ``_target()`` is the (grad, inference) pair to switch to.

    Usable as ``with cls(...):`` and as a decorator (``@cls(...)``; the classes
    without arguments also as a bare ``@cls``).
    """

    def _target(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _push(self):
        # Saved per thread: a shared instance entered by two threads at once
        # must give each its own previous state back.
        saved = self.__dict__.setdefault("_saved", {})
        saved.setdefault(threading.get_ident(), []).append((_state.grad, _state.inference))
        _set(*self._target())

    def _pop(self):
        ident = threading.get_ident()
        stack = self._saved[ident]
        prev = stack.pop()
        if not stack:
            del self._saved[ident]  # thread ids are reused: leave nothing behind
        _set(*prev)

    def __enter__(self):
        self._push()
        return self

    def __exit__(self, *exc):
        self._pop()
        return False

    def _clone(self):
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)
        return wrapper


class _NoArgSwitch(_Switch):
    def __new__(cls, orig_func=None):
        # ``@fastnn.no_grad`` without parentheses, as PyTorch allows.
        self = super().__new__(cls)
        return self if orig_func is None else self(orig_func)


class no_grad(_NoArgSwitch):
    """``with fastnn.no_grad():`` -- results of operations do not require grad
    (in the calling thread only)."""

    def _target(self):
        return False, _state.inference


class enable_grad(_NoArgSwitch):
    """Turn grad mode back on inside ``no_grad`` (in the calling thread only)."""

    def _target(self):
        return True, _state.inference


class set_grad_enabled(_Switch):
    """Turn graph recording on or off in the calling thread: as a call
    (``fastnn.set_grad_enabled(False)`` switches for good), a context manager
    (restores on exit) or a decorator."""

    def __init__(self, mode):
        self.mode = bool(mode)
        # As a plain call it takes effect at once, like PyTorch's. The first
        # ``with`` entry in this thread then restores, on exit, the state from
        # before the call; any other entry restores the state it found.
        self._before = (_state.grad, _state.inference)
        self._creator = threading.get_ident()
        _set(self.mode, _state.inference)

    def _target(self):
        return self.mode, _state.inference

    def __enter__(self):
        ident = threading.get_ident()
        saved = self.__dict__.setdefault("_saved", {})
        if self._creator == ident:
            self._creator = None
            prev = self._before
        else:
            prev = (_state.grad, _state.inference)
        saved.setdefault(ident, []).append(prev)
        _set(*self._target())
        return self

    def _clone(self):
        return set_grad_enabled(self.mode)

    def __call__(self, fn):
        # As a decorator, constructing it switched nothing for good: undo, and let
        # every call of the wrapped function switch anew.
        _set(*self._before)
        self._creator = None
        return super().__call__(fn)


class inference_mode(_Switch):
    """``with fastnn.inference_mode():`` -- no_grad for pure inference, per thread.

    As PyTorch's: nothing is recorded inside, even under ``enable_grad``;
    ``inference_mode(False)`` turns inference mode off and grad mode on. fastnn has
    no separate "inference tensor" kind: a tensor made here is an ordinary tensor
    that does not require grad, so using it later in autograd is allowed (PyTorch
    raises for some of those uses).
    """

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode) and not isinstance(mode, bool):  # bare @fastnn.inference_mode
            self.mode = True
            return self(mode)
        return self

    def __init__(self, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return
        self.mode = bool(mode)

    def _target(self):
        return (False, True) if self.mode else (True, False)

    def _clone(self):
        return inference_mode(self.mode)
