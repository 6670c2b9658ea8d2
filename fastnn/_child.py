"""Where a fresh Python process started by fastnn finds the same fastnn.

``python -c`` and ``python -m`` put the working directory first on sys.path,
so a child started from a source checkout would import the checkout's
fastnn (perhaps unbuilt) even when the parent imported an installed one.
Started in the directory that holds the parent's fastnn package, the child
imports exactly that package.
"""
import os

import fastnn


def package_root():
    """The directory that holds the imported ``fastnn`` package."""
    return os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))
