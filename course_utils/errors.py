"""How errors look in the lessons: short, about the learner's own code, free of machine paths.

Many lesson cells fail on purpose, to show a Keras error message. A raw traceback
walks through a dozen Keras files, each named by its absolute path on the machine
that ran the notebook (``/home/…/.venv/lib/python3.11/site-packages/keras/…``).
:func:`show_tracebacks` switches the notebook's kernel to one of three forms:

* ``"short"`` – the exception's type, the learner's own lines (the cells' frames)
  and the message; library frames are left out and one line says how to see them;
* ``"full"`` – every frame, as IPython draws it, with paths made relative
  (``keras/src/models/sequential.py``, ``~/…``);
* ``"ipython"`` – IPython's own traceback, untouched.

Lessons call ``show_tracebacks("short")`` in their first cell. It needs an IPython
kernel; outside one it raises ``RuntimeError``.

Example:
    >>> from course_utils.errors import show_tracebacks   # doctest: +SKIP
    >>> show_tracebacks("short")                          # doctest: +SKIP
    >>> relative_paths("File /opt/venv/lib/python3.12/site-packages/keras/src/layers/layer.py:12")
    'File keras/src/layers/layer.py:12'
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import types
from pathlib import Path
from typing import Any

__all__ = ["MAX_LINES", "MODES", "learner_frames", "relative_paths", "show_tracebacks"]

#: The forms :func:`show_tracebacks` knows.
MODES = ("short", "full", "ipython")

#: Most lines a short traceback may take.
MAX_LINES = 25

#: The line that replaces the library frames in the short form.
HIDDEN_NOTE = 'Library frames hidden: show_tracebacks("full") shows them.'

_PACKAGES = re.compile(r"~?(?:/[^\s/:'\"()]+)*/(?:site|dist)-packages/")  # any environment's packages folder
_STDLIB = re.compile(r"~?(?:/[^\s/:'\"()]+)*/lib/python3\.\d+/")  # any Python's standard library folder


def show_tracebacks(mode: str = "short", *, shell: Any = None) -> None:
    """Choose how errors are shown in this kernel: ``"short"``, ``"full"`` or ``"ipython"``.

    Args:
        mode: one of :data:`MODES` (see the module docstring).
        shell: the IPython shell to change; the running one by default.

    Example:
        >>> show_tracebacks("full")    # doctest: +SKIP
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}, not {mode!r}.")
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("show_tracebacks changes how a notebook shows errors; call it inside Jupyter or IPython.")
    if mode == "ipython":
        shell.set_custom_exc((), None)
        return

    def handler(self: Any, etype: type[BaseException], value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
        stb = _structured(self, etype, value, tb, short=mode == "short")
        # IPython shows nothing a custom handler returns; the shell's own display
        # hook (ipykernel's _showtraceback) sends it to the notebook as an error output.
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((Exception,), handler)


def relative_paths(text: str) -> str:
    """``text`` with machine-specific path prefixes removed.

    A file inside any ``site-packages`` is named from its package
    (``keras/src/…``), a file of Python's standard library from the library folder
    (``json/decoder.py``), a file of this course from the course folder
    (``course_utils/…``), and anything else in the home folder starts with ``~``.

    Example:
        >>> relative_paths(f"File {Path.home()}/notes/model.py, line 3")
        'File ~/notes/model.py, line 3'
    """
    text = _STDLIB.sub("", _PACKAGES.sub("", text))
    for prefix, replacement in _prefixes():
        text = text.replace(prefix, replacement)
    return text


def learner_frames(tb: Any, is_learner_code: Any) -> Any:
    """A new traceback that keeps only the frames for which ``is_learner_code(filename)`` is true.

    When none qualifies the last frame is kept, so the error still points somewhere.

    Example:
        >>> import json
        >>> try:
        ...     json.loads("{")
        ... except ValueError as error:
        ...     kept = learner_frames(error.__traceback__, lambda name: not name.endswith("decoder.py"))
        >>> all(not f.tb_frame.f_code.co_filename.endswith("decoder.py") for f in _frames(kept))
        True
    """
    frames = _frames(tb)
    kept = [frame for frame in frames if is_learner_code(frame.tb_frame.f_code.co_filename)] or frames[-1:]
    rebuilt = None
    for frame in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return rebuilt


# ------------------------------------------------------------------ internals
def _structured(shell: Any, etype: type[BaseException], value: BaseException, tb: Any, *, short: bool) -> list[str]:
    """IPython's structured traceback (a list of strings), shortened and with relative paths."""
    formatter = shell.InteractiveTB
    if not short:
        return [relative_paths(part) for part in formatter.structured_traceback(etype, value, tb)]

    def is_cell(filename: str) -> bool:
        return shell.compile.format_code_name(filename) is not None

    # The short form tells one story: the learner's line and the final message, not
    # the chain of errors Keras raised and caught on the way.
    names = [frame.tb_frame.f_code.co_filename for frame in _frames(tb)]
    first = next((i for i, name in enumerate(names) if is_cell(name)), 0)  # frames before it are IPython's own
    hidden = not all(is_cell(name) for name in names[first:])
    saved = (value.__cause__, value.__context__, value.__suppress_context__)
    value.__cause__, value.__context__, value.__suppress_context__ = None, None, True
    try:
        for context in (5, 3):  # fewer lines around the learner's line if it does not fit (then the message is cut)
            stb = [relative_paths(part) for part in formatter.structured_traceback(
                etype, value, learner_frames(tb, is_cell), context=context
            )]
            if hidden:
                stb.insert(len(stb) - 1, HIDDEN_NOTE)
            if _line_count(stb) <= MAX_LINES:
                break
    finally:
        value.__cause__, value.__context__, value.__suppress_context__ = saved
    return _trim_message(stb)


def _line_count(stb: list[str]) -> int:
    return len("\n".join(stb).splitlines())


def _trim_message(stb: list[str]) -> list[str]:
    """Cut the final message (the last part) so that the whole traceback has at most MAX_LINES lines."""
    total = _line_count(stb)
    message = stb[-1].splitlines()
    room = MAX_LINES - (total - len(message)) - 1  # one line says how much was cut
    if total <= MAX_LINES or room < 1:
        return stb
    cut = len(message) - room
    return stb[:-1] + ["\n".join(message[:room] + [f"… ({cut} more lines: show_tracebacks(\"full\") shows them)"])]


def _frames(tb: Any) -> list[Any]:
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames


def _prefixes() -> list[tuple[str, str]]:
    """(absolute folder + "/", what replaces it), longest first so the most specific wins."""
    pairs: dict[str, str] = {}
    for key in ("stdlib", "platstdlib"):
        folder = sysconfig.get_paths().get(key)
        if folder:
            pairs[str(Path(folder)) + "/"] = ""
    course = Path(__file__).resolve().parent.parent  # the folder that holds course_utils/
    pairs[str(course) + "/"] = ""
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        pairs[home.rstrip("/") + "/"] = "~/"
    for folder in {sys.prefix, sys.base_prefix}:
        pairs.setdefault(str(Path(folder)) + "/", "")
    return sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)
