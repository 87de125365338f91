"""``OUT/report.html``: the class at a glance, from the results the grader already has.

One self-contained page (inline SVG figures drawn with matplotlib, inline CSS, no
script, nothing fetched from the network) with

* the distribution of the graded notebooks' totals;
* per question, the share of correct / incorrect / not attempted / raised answers;
* per question, the most frequent reasons given for wrong answers, with their counts
  (the messages of ``check()``, which never state the expected answer);
* the run statuses other than ``ok`` (timeouts, memory limit, unreadable, wrong
  exercise…), with the students they concern;
* every student, linked to their ``feedback/<student>.md``.

The grader rewrites it atomically after each graded notebook (as it does the
gradebook), so it is current during a long run, and says when the run is complete.
Nothing is graded here: the page only reads the result rows.

Example:
    >>> write_report(Path("gradebook"), "ex01_sequential", specs, [(row, "alice")], expected=1, complete=True)   # doctest: +SKIP
    PosixPath('gradebook/report.html')
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from course_utils.grade.gradebook import atomic_write

__all__ = ["NOT_GRADED", "OUTCOMES", "report_html", "wrong_reasons", "write_report"]

#: Run statuses of notebooks that were never judged: their totals and answers are left out of the figures.
NOT_GRADED = ("unreadable", "wrong exercise", "grader error")
#: The outcomes of a question (course_utils.checks.outcomes), in the order and colours of the figures.
OUTCOMES = {
    "correct": ("correct", "#2e9d52"),
    "incorrect": ("incorrect", "#e07b39"),
    "not attempted": ("not attempted", "#b8b8b8"),
    "your code raised": ("raised", "#c0392b"),
}
_WRONG = ("incorrect", "your code raised")
_HINT_LINE = re.compile(r"\n?Stuck\? Call q\d+\.hint\(\)\.\s*$")
_TOP_REASONS = 5

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1040px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 14px 0 4px; }
.state { padding: 6px 10px; border-radius: 4px; display: inline-block; }
.running { background: #fff4d6; } .complete { background: #e3f4e8; }
table { border-collapse: collapse; font-size: 14px; } th, td { padding: 3px 10px; text-align: left; border-bottom: 1px solid #eee; }
td.count, th.count { text-align: right; } .muted { color: #777; } figure { margin: 8px 0; }
.mark-correct { color: #1b7f3b; } .mark-incorrect { color: #a33a00; } .mark-raised { color: #a40000; } .mark-not { color: #888; }
"""


def write_report(
    out: Path,
    exercise: str,
    questions: list[dict[str, Any]],
    entries: Iterable[tuple[dict[str, Any], str]],
    *,
    expected: int,
    complete: bool,
) -> Path:
    """Write ``OUT/report.html`` atomically; ``entries`` are (result row, feedback file name) pairs."""
    path = Path(out) / "report.html"
    atomic_write(path, report_html(exercise, questions, list(entries), expected=expected, complete=complete))
    return path


def report_html(
    exercise: str, questions: list[dict[str, Any]], entries: list[tuple[dict[str, Any], str]], *, expected: int, complete: bool
) -> str:
    """The report page as one HTML string (see the module docstring)."""
    entries = sorted(entries, key=lambda entry: (entry[0]["student"], entry[0]["file"]))
    graded = [row for row, _ in entries if row["status"] not in NOT_GRADED]
    maximum = sum(float(spec.get("points", 1)) for spec in questions)
    state = (
        f"<p class='state complete'>Complete: {len(entries)} of {expected} notebook(s).</p>"
        if complete
        else f"<p class='state running'>Grading in progress: {len(entries)} of {expected} notebook(s) done; "
        "this page is rewritten after each one (reload it).</p>"
    )
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(exercise)} · class report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(exercise)} · class report</h1>",
        state,
        f"<p>{len(graded)} notebook(s) graded, {len(entries) - len(graded)} not graded "
        f"(see <a href='#statuses'>run statuses</a>). {len(questions)} question(s), {_number(maximum)} point(s) in all.</p>",
        "<h2 id='totals'>Totals</h2>",
        _totals_section(graded, maximum),
        "<h2 id='questions'>Questions</h2>",
        _questions_section(graded, questions),
        "<h2 id='reasons'>Why answers were wrong</h2>",
        _reasons_section(graded, questions),
        "<h2 id='statuses'>Run statuses</h2>",
        _statuses_section(entries),
        "<h2 id='students'>Students</h2>",
        _students_section(entries, questions),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def wrong_reasons(rows: list[dict[str, Any]], question: str) -> list[tuple[str, str, int]]:
    """(outcome, reason, count) of the wrong answers to ``question``, most frequent first.

    A reason is the check's message without its "Stuck? Call qN.hint()." line; for code
    that raised, only the exception's line (its place in each learner's code differs).

    Example:
        >>> rows = [{"questions": [{"question": "q1", "status": "incorrect", "message": "Too few layers."}]}] * 2
        >>> wrong_reasons(rows, "q1")
        [('incorrect', 'Too few layers.', 2)]
    """
    counted: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for result in row.get("questions", []):
            if result["question"] != question or result["status"] not in _WRONG:
                continue
            reason = _HINT_LINE.sub("", str(result["message"])).strip()
            if result["status"] == "your code raised":
                reason = reason.splitlines()[0] if reason else reason
            counted[(result["status"], reason)] += 1
    return [(status, reason, count) for (status, reason), count in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]


# ------------------------------------------------------------------ sections
def _totals_section(graded: list[dict[str, Any]], maximum: float) -> str:
    if not graded:
        return "<p class='muted'>No notebook has been graded yet.</p>"
    totals = [float(row.get("total", 0.0)) for row in graded]
    mean = sum(totals) / len(totals)
    figure = _figure_totals(totals, maximum)
    return (
        f"<figure id='totals-figure'>{figure}</figure>"
        f"<p>Mean {mean:.2f} of {_number(maximum)}; {sum(t >= maximum for t in totals)} of {len(totals)} full marks.</p>"
    )


def _questions_section(graded: list[dict[str, Any]], questions: list[dict[str, Any]]) -> str:
    if not graded:
        return "<p class='muted'>No notebook has been graded yet.</p>" + _question_list(questions)
    counts = {str(spec["question"]): Counter() for spec in questions}
    for row in graded:
        for result in row.get("questions", []):
            if result["question"] in counts:
                counts[result["question"]][result["status"]] += 1
    figure = _figure_shares(questions, counts, len(graded))
    header = "".join(f"<th class='count'>{_e(label)}</th>" for label, _ in OUTCOMES.values())
    body = "".join(
        f"<tr><td>{_e(spec['question'])}</td><td>{_e(spec.get('title', ''))}</td>"
        + "".join(f"<td class='count'>{counts[str(spec['question'])][status]}</td>" for status in OUTCOMES)
        + "</tr>"
        for spec in questions
    )
    return (
        f"<figure id='shares-figure'>{figure}</figure>"
        f"<table id='shares-table'><tr><th>question</th><th>title</th>{header}</tr>{body}</table>"
    )


def _question_list(questions: list[dict[str, Any]]) -> str:
    items = "".join(f"<li>{_e(spec['question'])} · {_e(spec.get('title', ''))}</li>" for spec in questions)
    return f"<ul>{items}</ul>"


def _reasons_section(graded: list[dict[str, Any]], questions: list[dict[str, Any]]) -> str:
    blocks = []
    for spec in questions:
        question = str(spec["question"])
        reasons = wrong_reasons(graded, question)
        title = f"<h3 id='reasons-{_e(question)}'>{_e(question)} · {_e(spec.get('title', ''))}</h3>"
        if not reasons:
            blocks.append(title + "<p class='muted'>No wrong answers.</p>")
            continue
        shown, rest = reasons[:_TOP_REASONS], reasons[_TOP_REASONS:]
        rows = "".join(
            f"<tr><td class='count'>{count}</td><td>{_e(OUTCOMES[status][0])}</td><td>{_e(reason).replace(chr(10), '<br>')}</td></tr>"
            for status, reason, count in shown
        )
        more = f"<p class='muted'>…and {len(rest)} other reason(s), {sum(c for _, _, c in rest)} answer(s).</p>" if rest else ""
        blocks.append(f"{title}<table><tr><th class='count'>count</th><th>outcome</th><th>reason</th></tr>{rows}</table>{more}")
    return "\n".join(blocks)


def _statuses_section(entries: list[tuple[dict[str, Any], str]]) -> str:
    counts = Counter(row["status"] for row, _ in entries)
    summary = ", ".join(f"{count} {_e(status)}" for status, count in sorted(counts.items())) or "none yet"
    lines = [f"<p>{summary}.</p>"]
    problems: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for row, name in entries:
        if row["status"] != "ok":
            problems.setdefault(row["status"], []).append((row, name))
    if not problems:
        lines.append("<p class='muted'>Every notebook ran to the end within the limits.</p>")
    for status, concerned in sorted(problems.items()):
        items = "".join(
            f"<li>{_student_link(row, name)} <span class='muted'>({_e(row['file'])})</span>"
            + (f" — {_e(_first_line(row.get('detail', '')))}" if row.get("detail") else "")
            + "</li>"
            for row, name in concerned
        )
        lines.append(f"<h3 class='status' data-status='{_e(status)}'>{_e(status)} ({len(concerned)})</h3><ul>{items}</ul>")
    return "\n".join(lines)


def _students_section(entries: list[tuple[dict[str, Any], str]], questions: list[dict[str, Any]]) -> str:
    if not entries:
        return "<p class='muted'>No notebook yet.</p>"
    header = "".join(f"<th>{_e(spec['question'])}</th>" for spec in questions)
    body = []
    for row, name in entries:
        by_question = {result["question"]: result["status"] for result in row.get("questions", [])}
        marks = "".join(_mark(by_question.get(str(spec["question"]))) for spec in questions)
        body.append(
            f"<tr><td>{_student_link(row, name)}</td><td class='muted'>{_e(row['file'])}</td>"
            f"<td class='count'>{_number(row.get('total', 0))} / {_number(row.get('max', 0))}</td>"
            f"<td>{_e(row['status'])}</td>{marks}</tr>"
        )
    return (
        f"<table id='students-table'><tr><th>student</th><th>file</th><th class='count'>total</th><th>status</th>{header}</tr>"
        + "".join(body)
        + "</table>"
    )


# ------------------------------------------------------------------ figures
def _figure_totals(totals: list[float], maximum: float) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 2.6))
    axes = figure.add_subplot()
    whole = maximum <= 30 and all(float(t).is_integer() for t in totals) and float(maximum).is_integer()
    if whole:
        values = list(range(int(maximum) + 1))
        axes.bar(values, [sum(t == v for t in totals) for v in values], color="#3a6ea5", width=0.7)
        axes.set_xticks(values)
    else:
        axes.hist(totals, bins=10, range=(0, max(maximum, max(totals))), color="#3a6ea5", rwidth=0.9)
    axes.set_xlabel(f"total (of {_number(maximum)})")
    axes.set_ylabel("notebooks")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _figure_shares(questions: list[dict[str, Any]], counts: dict[str, Counter[str]], graded: int) -> str:
    from matplotlib.figure import Figure

    labels = [f"{spec['question']} · {_shorten(str(spec.get('title', '')), 38)}" for spec in questions]
    figure = Figure(figsize=(8.0, 0.5 * len(questions) + 1.1))
    axes = figure.add_subplot()
    positions = list(range(len(questions)))[::-1]  # the first question on top
    left = [0.0] * len(questions)
    for status, (label, colour) in OUTCOMES.items():
        shares = [counts[str(spec["question"])][status] / graded for spec in questions]
        bars = axes.barh(positions, shares, left=left, color=colour, label=label, height=0.6)
        for bar, share, start in zip(bars, shares, left):
            if share >= 0.08:
                axes.text(start + share / 2, bar.get_y() + bar.get_height() / 2, f"{share:.0%}", ha="center", va="center", fontsize=8, color="white")
        left = [a + b for a, b in zip(left, shares)]
    axes.set_yticks(positions, labels)
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter("{x:.0%}")
    axes.set_xlabel(f"share of the {graded} graded notebook(s)")
    axes.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _svg(figure: Any) -> str:
    """The figure as inline SVG; text stays text (searchable, and small)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 10}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


# ------------------------------------------------------------------ small helpers
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _number(value: Any) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def _student_link(row: dict[str, Any], name: str) -> str:
    return f"<a href='feedback/{quote(name)}.md'>{_e(row['student'])}</a>"


def _mark(status: str | None) -> str:
    marks = {
        "correct": ("✔", "mark-correct"),
        "incorrect": ("✘", "mark-incorrect"),
        "your code raised": ("⚠", "mark-raised"),
        "not attempted": ("…", "mark-not"),
    }
    mark, css = marks.get(status or "", ("–", "mark-not"))
    return f"<td class='{css}' title='{_e(status or 'not graded')}'>{mark}</td>"
