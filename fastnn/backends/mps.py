"""fastnn.backends.mps: Apple's Metal backend does not exist in fastnn (torch.backends.mps's
questions, answered as on any machine without it)."""


def is_available():
    return False


def is_built():
    return False


def is_macos_or_newer(major, minor):
    return False


def is_macos13_or_newer(minor=0):
    return False
