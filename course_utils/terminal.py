"""Commands that end quietly when their reader stops listening.

``python -m course_utils.progress | head`` closes the pipe after ten lines; the next
``print`` then raises ``BrokenPipeError``, and Python would show a traceback from our
code for something that is not a problem at all. :func:`quiet_when_cut_short` wraps a
command's ``main`` so that it stops there, silently, as ``ls | head`` does.

Example:
    >>> @quiet_when_cut_short
    ... def main() -> int:
    ...     print("many lines")
    ...     return 0
    >>> main()
    many lines
    0
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TypeVar

__all__ = ["quiet_when_cut_short"]

_Command = TypeVar("_Command", bound=Callable[..., int])

#: The exit status of a command whose output was closed early (as ``SIGPIPE`` would give).
CUT_SHORT = 141


def quiet_when_cut_short(main: _Command) -> _Command:
    """Wrap a command's ``main``: a closed standard output ends it quietly with status 141."""

    @functools.wraps(main)
    def wrapper(*args: object, **kwargs: object) -> int:
        try:
            status = main(*args, **kwargs)
            sys.stdout.flush()  # a pipe closed after the last print shows up here
            return status
        except BrokenPipeError:
            # Point stdout at /dev/null, so that Python's own flush at exit does not fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return CUT_SHORT

    return wrapper  # type: ignore[return-value]
