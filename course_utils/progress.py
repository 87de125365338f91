"""A learner's record: every ``qN.check()`` remembered, and shown at a glance.

Each check adds one row to a small SQLite database, ``progress.sqlite3``: the
exercise, the question, the outcome and the time (UTC). No answer text is kept.
The database lives in

* ``$FUNCTIONAL_KERAS_COURSE_HOME``, when that variable is set;
* otherwise the user's data folder (:func:`platformdirs.user_data_dir`), for example
  ``~/.local/share/functional-keras-course`` on Linux.

Each check is one short transaction (SQLite's write-ahead log, a busy timeout and a
few retries), so two kernels checking at once lose nothing. A check never fails
because of its record: if the folder cannot be written, the file is not a database
or stays locked, the check answers as always, the file is left as it is, and one
short note (once per kernel) says that progress is not being saved, and why.

Environment variables:

* ``FUNCTIONAL_KERAS_COURSE_HOME`` – the folder of the record;
* ``FUNCTIONAL_KERAS_COURSE_PROGRESS=off`` – record nothing (the classroom grader's kernels);
* ``FUNCTIONAL_KERAS_COURSE_CLOCK`` – an ISO time every check is recorded with instead of
  now, so that stored notebooks and nbval runs show the same dates
  (:func:`reproducible_environment`).

Command line:
    python -m course_utils.progress                    # every question, and your last checks
    python -m course_utils.progress --exercise ex01_sequential
    python -m course_utils.progress --reset [--yes]    # forget the record (asks first)

Example:
    >>> record("ex01_sequential", "q1", "incorrect")   # doctest: +SKIP
    True
    >>> show("ex01_sequential")                         # doctest: +SKIP
    ex01_sequential · 0 of 4 solved, 1 tried, 3 not started
    ...
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from course_utils.terminal import quiet_when_cut_short

__all__ = [
    "CLOCK_VARIABLE",
    "HOME_VARIABLE",
    "NOT_STARTED",
    "OFF_VARIABLE",
    "SOLVED",
    "TRIED",
    "Attempt",
    "ProgressView",
    "QuestionState",
    "attempts",
    "forget",
    "main",
    "record",
    "record_path",
    "reproducible_environment",
    "show",
]

HOME_VARIABLE = "FUNCTIONAL_KERAS_COURSE_HOME"
OFF_VARIABLE = "FUNCTIONAL_KERAS_COURSE_PROGRESS"
CLOCK_VARIABLE = "FUNCTIONAL_KERAS_COURSE_CLOCK"
FILE_NAME = "progress.sqlite3"
#: The time :func:`reproducible_environment` records every check with (noon UTC: the same date in every time zone but the farthest ones).
FIXED_TIME = "2026-01-01T12:00:00+00:00"

SOLVED = "solved"
TRIED = "tried, not solved"
NOT_STARTED = "not started"

#: Seconds a check waits for another kernel's write before it tries again, and how often it tries.
BUSY_SECONDS = 2.0
TRIES = 3

_NOT_ATTEMPTED = "not attempted"  # as course_utils.checks.outcomes words it: a check before any answer
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS attempts ("
    " id INTEGER PRIMARY KEY,"
    " exercise TEXT NOT NULL,"
    " question TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " time TEXT NOT NULL)"
)
_noted = False  # the one note per process that progress is not being saved


# ------------------------------------------------------------------ where, and recording
def record_path() -> Path:
    """The record's file: ``$FUNCTIONAL_KERAS_COURSE_HOME/progress.sqlite3``, else in the user data folder.

    Example:
        >>> os.environ[HOME_VARIABLE] = "/tmp/course-home"
        >>> record_path()
        PosixPath('/tmp/course-home/progress.sqlite3')
        >>> del os.environ[HOME_VARIABLE]
    """
    home = os.environ.get(HOME_VARIABLE, "").strip()
    if home:
        return Path(home).expanduser() / FILE_NAME
    from platformdirs import user_data_dir

    return Path(user_data_dir("functional-keras-course", appauthor=False)) / FILE_NAME


def recording() -> bool:
    """False when ``FUNCTIONAL_KERAS_COURSE_PROGRESS`` is ``off`` (or ``0``, ``no``, ``false``)."""
    return os.environ.get(OFF_VARIABLE, "").strip().lower() not in ("off", "0", "no", "false")


def reproducible_environment(folder: str | Path) -> dict[str, str]:
    """Variables for a kernel whose record starts empty in ``folder`` and whose clock is fixed.

    Storing a notebook (:mod:`course_utils.notebooks`) and checking it with nbval both
    use them, so its progress outputs never depend on a learner's record or on the day.

    Example:
        >>> sorted(reproducible_environment("/tmp/empty"))
        ['FUNCTIONAL_KERAS_COURSE_CLOCK', 'FUNCTIONAL_KERAS_COURSE_HOME']
    """
    return {HOME_VARIABLE: str(folder), CLOCK_VARIABLE: FIXED_TIME}


def record(exercise: str, question: str, outcome: str) -> bool:
    """Add one check to the record; True if it was saved. Never raises.

    Example:
        >>> record("ex01_sequential", "q1", "correct")   # doctest: +SKIP
        True
    """
    if not recording():
        return False
    path: Path | None = None
    try:
        path = record_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, (str(exercise), str(question), str(outcome), _now()))
        return True
    except Exception as error:  # noqa: BLE001 - the record must never break a check; the note says why
        _note_once(_why(error, path))
        return False


def _write(path: Path, row: tuple[str, str, str, str]) -> None:
    """Insert ``row`` in one transaction, retrying a few times while another kernel holds the lock."""
    for attempt in range(TRIES):
        try:
            with _connection(path) as connection:
                connection.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(_SCHEMA)
                connection.execute("INSERT INTO attempts (exercise, question, outcome, time) VALUES (?, ?, ?, ?)", row)
                connection.execute("COMMIT")
            return
        except sqlite3.OperationalError as error:
            if ("locked" not in str(error) and "busy" not in str(error)) or attempt == TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


@contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    # isolation_level=None: transactions are begun and committed explicitly above.
    with closing(sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)) as connection:
        yield connection


def _now() -> str:
    """Now in UTC, or the fixed ``FUNCTIONAL_KERAS_COURSE_CLOCK`` (a malformed one is ignored)."""
    moment = datetime.now(timezone.utc)
    fixed = os.environ.get(CLOCK_VARIABLE, "").strip()
    if fixed:
        try:
            moment = datetime.fromisoformat(fixed).astimezone(timezone.utc)
        except ValueError:
            print(f"Note: {CLOCK_VARIABLE}={fixed!r} is not an ISO time; the real time is recorded.", file=sys.stderr)
    return moment.isoformat(timespec="seconds")


def _why(error: BaseException, path: Path | None) -> str:
    where = str(path) if path is not None else "the progress record"
    text = str(error)
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in text:
        return f"{where} is not a progress record this course can read (it was left as it is)"
    if isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return f"{where} is locked by another program"
    if isinstance(error, sqlite3.OperationalError) and ("readonly" in text or "unable to open" in text):
        return f"{where} cannot be written"
    if isinstance(error, OSError):
        folder = path.parent if path is not None else "its folder"
        return f"the folder {folder} cannot be created or written ({error.strerror or type(error).__name__})"
    return f"{where} could not be written ({type(error).__name__}: {text})"


def _note_once(why: str) -> None:
    global _noted
    if _noted:
        return
    _noted = True
    print(
        f"Note: your progress is not being saved: {why}. Checks work as always. "
        f"To keep a record elsewhere, set {HOME_VARIABLE} to a folder you can write to.",
        file=sys.stderr,
    )


# ------------------------------------------------------------------ reading
@dataclass(frozen=True)
class Attempt:
    """One recorded check."""

    exercise: str
    question: str
    outcome: str
    time: str  # ISO 8601, UTC


def attempts(path: Path | None = None) -> list[Attempt]:
    """Every recorded check, oldest first (none when there is no record yet).

    Raises :class:`sqlite3.DatabaseError` when the file is not a record it can read.
    """
    path = path or record_path()
    if not path.is_file():
        return []
    with _connection(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'attempts'").fetchall()
        if not tables:
            return []
        rows = connection.execute("SELECT exercise, question, outcome, time FROM attempts ORDER BY id").fetchall()
    return [Attempt(*map(str, row)) for row in rows]


def forget(path: Path | None = None) -> int:
    """Delete every recorded check (one transaction); the number forgotten."""
    path = path or record_path()
    if not path.is_file():
        return 0
    with _connection(path) as connection:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(_SCHEMA)
        count = connection.execute("DELETE FROM attempts").rowcount
        connection.execute("COMMIT")
    return int(count)


@dataclass(frozen=True)
class QuestionState:
    """Where a learner stands on one question."""

    exercise: str
    question: str
    title: str
    state: str  # SOLVED, TRIED or NOT_STARTED
    last: str | None  # the local date of the last attempt, YYYY-MM-DD


def states(records: list[Attempt], exercise: str | None = None) -> list[QuestionState]:
    """Every question of the course (or of ``exercise``), with its state and last attempt.

    A check that found no answer yet ("not attempted") is not an attempt. Questions in
    the record that the course no longer has are listed after the course's own.
    """
    course = _course_questions()
    known = {(name, question) for name, questions in course.items() for question, _ in questions}
    for item in records:
        if (item.exercise, item.question) not in known:
            course.setdefault(item.exercise, []).append((item.question, ""))
            known.add((item.exercise, item.question))
    result = []
    for name, questions in course.items():
        if exercise is not None and name != exercise:
            continue
        for question, title in questions:
            tried = [a for a in records if a.exercise == name and a.question == question and a.outcome != _NOT_ATTEMPTED]
            state = SOLVED if any(a.outcome == "correct" for a in tried) else TRIED if tried else NOT_STARTED
            last = _local_date(tried[-1].time) if tried else None
            result.append(QuestionState(name, question, title, state, last))
    return result


def _local_date(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d")
    except ValueError:
        return stamp[:10]


def _course_questions() -> dict[str, list[tuple[str, str]]]:
    """Exercise name -> [(question, title)], read from the solution notebooks (the single source)."""
    from course_utils.locations import CourseFilesMissing, solutions_folder

    try:
        paths = sorted(solutions_folder().glob("ex*.ipynb"))
    except CourseFilesMissing:
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        try:
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        found[path.stem] = [
            (str(course["question"]), str(course.get("title", "")))
            for course in (cell.get("metadata", {}).get("course", {}) for cell in cells)
            if isinstance(course, dict) and course.get("role") == "answer" and "question" in course
        ]
    return found


# ------------------------------------------------------------------ showing
_LOOK = {  # mark, text colour, background: the colours of course_utils.checks.outcomes
    SOLVED: ("✔", "#1b7f3b", "#dff3e5"),
    TRIED: ("✘", "#a33a00", "#ffe9d6"),
    NOT_STARTED: ("·", "#777777", "#f2f2f2"),
}


@dataclass(frozen=True)
class ProgressView:
    """What :func:`show` returns: a styled table in JupyterLab, a plain table as text."""

    questions: list[QuestionState]
    problem: str = ""  # why the record could not be read, if it could not

    def counts(self) -> dict[str, int]:
        return {state: sum(q.state == state for q in self.questions) for state in (SOLVED, TRIED, NOT_STARTED)}

    def headline(self) -> str:
        counts = self.counts()
        exercises = {q.exercise for q in self.questions}
        scope = next(iter(exercises)) if len(exercises) == 1 else "Your progress"
        return (
            f"{scope} · {counts[SOLVED]} of {len(self.questions)} solved, "
            f"{counts[TRIED]} tried, {counts[NOT_STARTED]} not started"
        )

    def __repr__(self) -> str:
        return text_table(self)

    def _repr_html_(self) -> str:
        rows = []
        by_exercise: dict[str, list[QuestionState]] = {}
        for question in self.questions:
            by_exercise.setdefault(question.exercise, []).append(question)
        for name, questions in by_exercise.items():
            cells = "".join(_html_badge(q) for q in questions)
            rows.append(
                f"<tr><th style='text-align:left;padding:2px 10px 2px 0;font-weight:normal;white-space:nowrap'>"
                f"<code>{html.escape(name)}</code></th><td style='padding:2px 0'>{cells}</td></tr>"
            )
        legend = " ".join(
            f"<span style='color:{colour};background:{background};padding:1px 6px;border-radius:3px'>{mark} {state}</span>"
            for state, (mark, colour, background) in _LOOK.items()
        )
        problem = (
            f"<div style='color:#a40000;margin:4px 0'>{html.escape(self.problem)}</div>" if self.problem else ""
        )
        return (
            "<div class='course-progress' style='font-size:13px'>"
            f"<div style='font-weight:bold;margin-bottom:4px'>{html.escape(self.headline())}</div>{problem}"
            f"<table style='border-collapse:collapse'>{''.join(rows)}</table>"
            f"<div style='margin-top:6px;font-size:12px'>{legend}</div></div>"
        )


def _html_badge(question: QuestionState) -> str:
    mark, colour, background = _LOOK[question.state]
    date = question.last or "–"
    tip = f"{question.question}: {question.title} — {question.state}" + (f", last tried {question.last}" if question.last else "")
    return (
        f"<span title='{html.escape(tip, quote=True)}' style='display:inline-block;min-width:78px;margin:1px 3px 1px 0;"
        f"padding:2px 6px;border-radius:4px;color:{colour};background:{background};text-align:center;line-height:1.2'>"
        f"<b>{mark} {html.escape(question.question)}</b><br><span style='font-size:11px'>{date}</span></span>"
    )


def text_table(view: ProgressView) -> str:
    """The plain table of ``python -m course_utils.progress`` (and of the view's text form)."""
    header = ("exercise", "question", "state", "last attempt", "title")
    lines = [(q.exercise, q.question, q.state, q.last or "-", q.title) for q in view.questions]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(4)]
    out = [view.headline()]
    if view.problem:
        out.append(view.problem)
    for row in [header, *lines]:
        out.append("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths)) + "  " + row[4])
    return "\n".join(line.rstrip() for line in out)


def show(exercise: str | None = None) -> ProgressView:
    """Where you stand: every question (or those of ``exercise``), solved, tried or not started.

    In JupyterLab it is a coloured table with the date of each question's last attempt.
    A record that cannot be read is shown as empty, with the reason.

    Example:
        >>> show("ex01_sequential")   # doctest: +SKIP
    """
    problem = ""
    try:
        records = attempts() if recording() else []
    except Exception as error:  # noqa: BLE001 - a damaged record is shown as empty, with the reason
        records, problem = [], f"Your progress could not be read: {_why(error, record_path())}."
    if not recording():
        problem = f"Progress is not recorded in this kernel ({OFF_VARIABLE} is off)."
    questions = states(records, exercise)
    if exercise is not None and not questions:
        problem = problem or f"There is no exercise named {exercise!r} (the names are those of exercises/, such as 'ex01_sequential')."
    return ProgressView(questions, problem)


# ------------------------------------------------------------------ command line
@quiet_when_cut_short
def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.progress``: print the record, or forget it with ``--reset``."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.progress",
        description="Show which exercise questions you have solved, tried or not started, or forget them all.",
        epilog=f"The record is {FILE_NAME} in ${HOME_VARIABLE} when it is set, otherwise in your user data folder.",
    )
    parser.add_argument("--exercise", help="only this exercise, e.g. ex01_sequential")
    parser.add_argument("--last", type=int, default=10, metavar="N", help="also list your last N checks with their outcomes (default 10; 0 for none)")
    parser.add_argument("--reset", action="store_true", help="forget every recorded check (asks first)")
    parser.add_argument("--yes", action="store_true", help="with --reset: do not ask")
    args = parser.parse_args(argv)
    path = record_path()
    if args.reset:
        return _reset(path, args.yes)
    print(f"Your progress record: {path}" + ("" if path.is_file() else " (nothing recorded yet)"))
    view = show(args.exercise)
    print(text_table(view))
    if args.last > 0 and not view.problem:
        recent = [a for a in attempts(path) if args.exercise in (None, a.exercise)][-args.last :]
        if recent:
            print(f"\nYour last {len(recent)} check(s), newest first:")
            for item in reversed(recent):
                print(f"  {_local_time(item.time)}  {item.exercise}  {item.question}  {item.outcome}")
    return 1 if view.problem and not view.questions else 0


def _local_time(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def _reset(path: Path, yes: bool) -> int:
    try:
        count = len(attempts(path))
    except sqlite3.DatabaseError as error:
        aside = _free_name(path.with_name(path.name + ".unreadable"))
        if not yes and not _confirm(f"{_why(error, path)}. Move it aside to {aside.name} and start a new record?"):
            print("Nothing was changed.")
            return 1
        path.rename(aside)
        print(f"Moved the unreadable record to {aside}; the next check starts a new one.")
        return 0
    if count == 0:
        print(f"Nothing to forget: {path} holds no checks.")
        return 0
    if not yes and not _confirm(f"Forget all {count} recorded check(s) in {path}?"):
        print("Nothing was forgotten.")
        return 1
    forgotten = forget(path)
    print(f"Forgot {forgotten} recorded check(s).")
    return 0


def _confirm(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:  # no terminal to answer from
        print("\n(no answer; run with --yes to skip the question)")
        return False
    return answer.strip().lower() in ("y", "yes")


def _free_name(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


if __name__ == "__main__":
    sys.exit(main())
