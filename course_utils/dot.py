"""Graphviz's ``dot`` as a long-lived helper process: DOT text in, SVG text out.

Starting ``dot`` costs about 15 ms on every drawing (loading its plugins, fonts and
text layout), which is a third of the time of a 200-layer ``keras.applications``
graph and most of the time of a lesson-sized one, redrawn each time an explorer's
slider moves. :func:`render_svg` keeps one ``dot -Tsvg`` process per Python process
(on Linux and macOS; elsewhere each drawing starts its own) and feeds it one graph
at a time: ``dot`` reads graphs from its input one after the other and writes each
SVG as soon as that graph is laid out.

Whenever that process cannot answer (it crashed on a graph, it was killed, the
source has a syntax error), the graph is drawn once more by a fresh ``dot`` through
the graphviz package, which raises graphviz's own error with dot's message; the next
drawing starts a new helper.

Example:
    >>> svg = render_svg("digraph { a -> b }")
    >>> svg.rstrip().endswith("</svg>")
    True
"""

from __future__ import annotations

import atexit
import os
import re
import select
import shutil
import subprocess
import threading
import time

import graphviz

__all__ = ["close_helper", "render_svg"]

_END = b"</svg>\n"
_GRAPH_ID = re.compile(r'<g id="page\d+,\d+_graph0"')
_TIMEOUT = 120.0  # seconds one graph may take before the helper is given up


class _DotHelper:
    """One ``dot -Tsvg`` process that lays out the graphs written to its input, in turn."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["dot", "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.pid = os.getpid()  # a forked child must not share this pipe

    def render(self, source: bytes) -> bytes | None:
        """The SVG of ``source``, or None when the helper could not answer (it is then closed)."""
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(source + b"\n")
            process.stdin.flush()
            chunks: list[bytes] = []
            tail = b""
            deadline = time.monotonic() + _TIMEOUT
            while not tail.endswith(_END):
                ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
                chunk = os.read(process.stdout.fileno(), 1 << 17) if ready else b""
                if not chunk:  # end of file (dot exited) or the deadline passed
                    self.close()
                    return None
                chunks.append(chunk)
                tail = (tail + chunk)[-len(_END) :]
            return b"".join(chunks)
        except OSError:  # broken pipe: dot exited before reading the graph
            self.close()
            return None

    def close(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


_LOCK = threading.Lock()
_HELPER: _DotHelper | None = None


def render_svg(source: str) -> str:
    """Lay out DOT ``source`` with ``dot`` and return the SVG text.

    Raises what ``graphviz.pipe`` raises (``graphviz.ExecutableNotFound`` without
    ``dot``, ``graphviz.CalledProcessError`` with dot's message for a bad graph).
    """
    global _HELPER
    data = source.encode("utf-8")
    svg = None
    with _LOCK:
        if _HELPER is not None and _HELPER.pid != os.getpid():
            _HELPER = None  # a forked child leaves its parent's helper alone
        if _HELPER is not None and _HELPER.process.poll() is not None:
            _close_mine()  # it exited (killed, or crashed on the last graph)
        if shutil.which("dot") is None or os.name != "posix":
            # No dot: graphviz.pipe below says so in its own words. Not POSIX: select()
            # cannot wait on a pipe there, so every drawing starts its own dot, as before.
            _close_mine()
        else:
            try:
                _HELPER = _HELPER or _DotHelper()
                svg = _HELPER.render(data)
            except OSError:
                svg = None
            if svg is None:
                _HELPER = None
    if svg is None:
        svg = graphviz.pipe("dot", "svg", data)
        return svg.decode("utf-8")
    # dot numbers the graphs it has drawn; the first one's id is what a fresh dot writes.
    return _GRAPH_ID.sub('<g id="graph0"', svg.decode("utf-8"), count=1)


def close_helper() -> None:
    """Stop the helper ``dot`` process; the next drawing starts a new one.

    Example:
        >>> close_helper()
    """
    with _LOCK:
        _close_mine()


def _close_mine() -> None:
    global _HELPER
    if _HELPER is not None and _HELPER.pid == os.getpid():
        _HELPER.close()
    _HELPER = None


atexit.register(_close_mine)
