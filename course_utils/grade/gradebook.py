"""What the grader writes: the gradebook, one feedback file per student, a log, a cache.

Everything under ``OUT/`` is written atomically (a temporary file in the same folder,
then ``os.replace``), so a crash or Ctrl-C mid-run leaves every file either as it was
or complete:

* ``gradebook.csv`` – ``student, file, sha256, q1…qN, total, max, status, runtime``;
* ``feedback/<student>.md`` – each question's outcome with the notebook's own message
  (the checks never state expected values), repairs and cell errors;
* ``grading_log.jsonl`` – one JSON event per line, appended and flushed as they happen;
* ``results/<sha256>.json`` – each finished result, reused when the same file (by hash)
  is graded again with the same course files (:class:`ResultStore`).

Example:
    >>> store = ResultStore(Path("gradebook"))                         # doctest: +SKIP
    >>> write_gradebook(Path("gradebook"), rows, [("q1", 1.0), ("q2", 1.0)])   # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["Log", "ResultStore", "atomic_write", "feedback_text", "write_feedback", "write_gradebook"]

_MARKS = {"correct": "✔", "incorrect": "✘", "not attempted": "…", "your code raised": "⚠"}
_STATUS_WORDS = {
    "ok": "graded",
    "timeout": "graded; a cell ran too long and was interrupted",
    "time limit": "graded as far as it got; the notebook ran out of time",
    "memory limit": "stopped: the notebook used too much memory",
    "kernel died": "stopped: the notebook's kernel ended",
    "unreadable": "not graded: the file could not be read",
    "wrong exercise": "not graded: this is not the notebook of this assignment",
    "grader error": "not graded: the grader failed; your teacher will look at it",
}


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` all at once: readers see the old file or the new one, never half.

    Example:
        >>> atomic_write(Path("/tmp/example.txt"), "hello\\n")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Log:
    """``grading_log.jsonl``: one event per line, with a time stamp, safe to call from threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, event: str, **data: Any) -> None:
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": event, **data}, default=str)
        with self._lock, open(self.path, "a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()
            os.fsync(stream.fileno())


class ResultStore:
    """Finished results by the submission's sha256, for resumable runs."""

    def __init__(self, out: Path) -> None:
        self.folder = Path(out) / "results"

    def get(self, sha256: str, fingerprint: str) -> dict[str, Any] | None:
        """The cached result for this content, if graded with the same course files and not a grader error."""
        path = self.folder / f"{sha256}.json"
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(result, dict) or result.get("fingerprint") != fingerprint or result.get("status") == "grader error":
            return None
        return result

    def put(self, result: dict[str, Any]) -> None:
        atomic_write(self.folder / f"{result['sha256']}.json", json.dumps(result, indent=1, ensure_ascii=False) + "\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def write_gradebook(out: Path, rows: Iterable[dict[str, Any]], questions: list[tuple[str, float]]) -> Path:
    """Write ``OUT/gradebook.csv`` (atomically) with one row per submission, sorted by student and file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "file", "sha256", *[q for q, _ in questions], "total", "max", "status", "runtime"])
    maximum = sum(points for _, points in questions)
    for row in sorted(rows, key=lambda r: (r["student"], r["file"])):
        earned = {q["question"]: q["points"] for q in row.get("questions", [])}
        writer.writerow(
            [
                row["student"],
                row["file"],
                row["sha256"],
                *[_number(earned.get(q, 0.0)) for q, _ in questions],
                _number(row.get("total", 0.0)),
                _number(row.get("max") or maximum),
                row["status"],
                f"{row.get('runtime', 0.0):.1f}",
            ]
        )
    path = Path(out) / "gradebook.csv"
    atomic_write(path, buffer.getvalue())
    return path


def _quote(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in str(text).splitlines()) or ">"


def _event_sentence(event: dict[str, Any]) -> str | None:
    kind = event.get("event")
    where = f"cell {event['index'] + 1}" if isinstance(event.get("index"), int) else str(event.get("cell", "a cell"))
    if kind == "timeout":
        return f"{where.capitalize()} ran longer than the time allowed per cell and was interrupted."
    if kind == "error":
        return f"{where.capitalize()} raised {event.get('error')} (later cells still ran)."
    if kind == "skipped":
        return f"{event.get('cells')} cell(s) were not run: {event.get('reason')}."
    if kind in ("memory limit", "time limit", "kernel died"):
        return f"The notebook was stopped in {where}: {kind}."
    if kind == "kernel stopped":
        return f"The notebook's kernel was stopped: {event.get('reason')}."
    if kind == "tampering":
        return "Your notebook changed the course's files while it was graded."
    return None


def feedback_text(result: dict[str, Any]) -> str:
    """The feedback page for one result, in Markdown.

    Example:
        >>> print(feedback_text({"student": "alice", "file": "a.ipynb", "exercise": "ex01_sequential",
        ...     "status": "unreadable", "detail": "invalid JSON", "total": 0, "max": 4, "questions": []}).splitlines()[0])
        # ex01_sequential · feedback for alice
    """
    lines = [f"# {result.get('exercise') or 'exercise'} · feedback for {result['student']}", ""]
    lines.append(f"File: `{result['file']}`  ")
    lines.append(f"Score: **{_number(result.get('total', 0))} / {_number(result.get('max', 0))}**  ")
    lines.append(f"Status: {result['status']} ({_STATUS_WORDS.get(result['status'], result['status'])})")
    if result.get("detail"):
        lines += ["", _quote(result["detail"])]
    for question in result.get("questions", []):
        mark = _MARKS.get(question["status"], "•")
        lines += [
            "",
            f"## {question['question']} · {question['title']}",
            "",
            f"{mark} **{question['status']}** ({_number(question['points'])} / {_number(question['max_points'])})",
            "",
            _quote(question["message"]),
        ]
    notes = list(result.get("repairs", [])) + [s for s in map(_event_sentence, result.get("events", [])) if s]
    if notes:
        lines += ["", "## Notes from the grader", ""]
        lines += [f"- {note[:1].upper() + note[1:]}" for note in notes]
    return "\n".join(lines) + "\n"


def write_feedback(out: Path, result: dict[str, Any], name: str) -> Path:
    """Write ``OUT/feedback/<name>.md`` atomically."""
    path = Path(out) / "feedback" / f"{name}.md"
    atomic_write(path, feedback_text(result))
    return path
