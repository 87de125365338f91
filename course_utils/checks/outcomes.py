"""What a check says: one of four outcomes, shown nicely in JupyterLab and as plain text.

Example:
    >>> Outcome("q1", CORRECT, "Your model has the right graph.")
    ✔ q1 · correct — Your model has the right graph.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["CORRECT", "ERROR", "INCORRECT", "NOT_ATTEMPTED", "Outcome", "Shown"]

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"
ERROR = "your code raised"

_STYLE = {
    CORRECT: ("✔", "#1b7f3b", "#eefaf1"),
    INCORRECT: ("✘", "#a33a00", "#fff4ec"),
    NOT_ATTEMPTED: ("…", "#555555", "#f4f4f4"),
    ERROR: ("⚠", "#a40000", "#fff0f0"),
}


@dataclass(frozen=True)
class Outcome:
    """The result of ``qN.check()``: a status and one kind, precise sentence."""

    question: str
    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __repr__(self) -> str:
        mark = _STYLE[self.status][0]
        return f"{mark} {self.question} · {self.status} — {self.message}"

    def _repr_html_(self) -> str:
        mark, colour, background = _STYLE[self.status]
        body = html.escape(self.message).replace("\n", "<br>")
        return (
            f"<div style='border-left:4px solid {colour};background:{background};padding:6px 10px;margin:2px 0'>"
            f"<b style='color:{colour}'>{mark} {html.escape(self.question)} · {html.escape(self.status)}</b>"
            f" — {body}</div>"
        )


@dataclass(frozen=True)
class Shown:
    """A hint or a solution: text in a box, code in a code block."""

    title: str
    text: str
    is_code: bool = False

    def __repr__(self) -> str:
        return f"{self.title}\n{self.text}"

    def _repr_html_(self) -> str:
        body = f"<pre>{html.escape(self.text)}</pre>" if self.is_code else html.escape(self.text)
        return (
            "<div style='border-left:4px solid #3a6ea5;background:#f0f5fb;padding:6px 10px;margin:2px 0'>"
            f"<b>{html.escape(self.title)}</b><br>{body}</div>"
        )
