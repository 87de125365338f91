"""The class report: OUT/report.html from a small graded folder, its parts on their own, and Chromium reading it.

The folder holds three notebooks of ex01_sequential: the solution (with one cell of the
learner's own that calls ``q1.check()`` and then raises), the untouched handout, and a file
that is not JSON. They are graded once for the module, into tmp_path.
"""

from __future__ import annotations

import copy
import csv
import html
import re
from pathlib import Path

import nbformat
import pytest
from offline_browser import ARTIFACTS, offline_page, publish

from course_utils.grade.cli import grade
from course_utils.grade.execute import Limits
from course_utils.grade.report import NOT_GRADED, report_html, wrong_reasons

ROOT = Path(__file__).resolve().parent.parent
NAME = "ex01_sequential"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
HANDOUT = ROOT / "exercises" / f"{NAME}.ipynb"
LEARNER_CELL = "q1.check()\nraise RuntimeError('the learner cell ran to its end')"


def _specs() -> list[dict]:
    handout = nbformat.read(HANDOUT, as_version=4)
    return [dict(c.metadata["course"]) for c in handout.cells if c.metadata.get("course", {}).get("role") == "answer"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    folder = base / "submissions"
    folder.mkdir()
    solution = nbformat.read(SOLUTION, as_version=4)
    after = next(i for i, c in enumerate(solution.cells) if c.metadata.get("course") == {"role": "check", "question": "q1"})
    own = nbformat.v4.new_code_cell(LEARNER_CELL)
    own.id = "learner-own-check"
    solution.cells.insert(after + 1, own)
    nbformat.write(solution, folder / "ada.ipynb")
    nbformat.write(nbformat.read(HANDOUT, as_version=4), folder / "ben.ipynb")
    (folder / "cy.ipynb").write_text('{"cells": [{"cell_type": "code", ', encoding="utf-8")
    out = base / "out"
    kernel_home = base / "kernel-home"
    kernel_home.mkdir()
    states: list[str] = []

    def progress(line: str) -> None:
        if line.startswith("["):  # a notebook was just graded: what does the report say now?
            text = (out / "report.html").read_text(encoding="utf-8")
            states.append(re.search(r"Grading in progress: (\d+ of \d+)|(Complete)", text).group(0))

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(kernel_home))  # the kernels' HOME: their user data folder is in it
        summary = grade(folder, out, exercise=NAME, workers=2, limits=Limits(cell_timeout=40, notebook_timeout=240, memory_mb=2048), progress=progress)
    return out, states, kernel_home, summary


def test_the_run_graded_each_notebook_as_expected(graded):
    out, _, _, summary = graded
    statuses = {row["student"]: row["status"] for row in summary.rows}
    assert statuses == {"ada": "ok", "ben": "ok", "cy": "unreadable"}
    ada = next(row for row in summary.rows if row["student"] == "ada")
    assert ada["total"] == ada["max"] == 4
    assert any(event.get("event") == "error" and event.get("error") == "RuntimeError" for event in ada["events"]), ada["events"]


def test_the_graders_kernels_wrote_no_progress_record(graded):
    _, _, kernel_home, _ = graded
    # The learner's own q1.check() ran in ada's kernel (its cell went on to raise, see above).
    assert list(kernel_home.rglob("progress.sqlite3*")) == []


def test_the_report_is_rewritten_after_each_graded_notebook_and_complete_at_the_end(graded):
    out, states, _, _ = graded
    assert states == ["Grading in progress: 2 of 3", "Grading in progress: 3 of 3"]
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Complete: 3 of 3 notebook(s)." in text and "Grading in progress" not in text
    assert not list(out.glob(".report.html.*")), "no temporary file is left behind"


def test_the_report_shows_every_question_status_and_student(graded):
    out, _, _, _ = graded
    text = (out / "report.html").read_text(encoding="utf-8")
    assert text.count("<svg") == 2, "the totals and the shares, inline"
    assert not re.search(r"(?:src|href)\s*=\s*['\"]?(?:https?:)?//", text), "nothing is fetched from the network"
    for spec in _specs():
        question, title = spec["question"], html.escape(spec["title"], quote=True)
        assert f"<h3 id='reasons-{question}'>{question} · {title}</h3>" in text
        # one correct (the solution), one not attempted (the handout); the broken file is not counted
        counts = "".join(f"<td class='count'>{n}</td>" for n in (1, 0, 1, 0))
        assert f"<tr><td>{question}</td><td>{title}</td>{counts}</tr>" in text
    assert "2 notebook(s) graded, 1 not graded" in text
    assert "<h3 class='status' data-status='unreadable'>unreadable (1)</h3>" in text
    assert re.search(r"<li><a href='feedback/cy\.md'>cy</a>.*could not be read", text)
    links = dict(re.findall(r"<tr><td><a href='(feedback/[^']+)'>([^<]+)</a>", text))
    assert sorted(links.values()) == ["ada", "ben", "cy"]
    assert all((out / link).is_file() for link in links)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as stream:
        totals = {row["student"]: row["total"] for row in csv.DictReader(stream)}
    for student, total in totals.items():
        assert re.search(rf">{student}</a></td><td class='muted'>[^<]+</td><td class='count'>{total} / 4</td>", text)


def test_chromium_renders_the_report(graded):
    out, _, _, _ = graded
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with offline_page() as (page, refused):
        page.goto((out / "report.html").as_uri())
        figures = page.locator("figure svg")
        assert figures.count() == 2
        for index in range(2):
            box = figures.nth(index).bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100, box
        drawn = page.locator("#shares-figure svg").evaluate("svg => svg.textContent")
        bars = page.locator("#shares-figure svg path, #shares-figure svg rect").count()
        shown = page.locator("body").inner_text()
        for spec in _specs():
            assert f"{spec['question']} · " in drawn
            assert f"{spec['question']} · {spec['title']}" in shown
        assert bars > 4
        assert "unreadable (1)" in shown and "Complete: 3 of 3" in shown
        shot = ARTIFACTS / "class-report.png"
        page.screenshot(path=str(shot), full_page=True)
    assert refused == []
    assert shot.stat().st_size > 10_000
    publish(shot, "class_report.png")


# ------------------------------------------------------------------ the parts on their own
def _row(student: str, status: str, answers: dict[str, tuple[str, str]]) -> dict:
    questions = [
        {"question": q, "title": f"title {q}", "status": s, "message": m, "points": float(s == "correct"), "max_points": 1.0}
        for q, (s, m) in answers.items()
    ]
    return {
        "student": student, "file": f"{student}.ipynb", "status": status, "detail": "", "questions": questions,
        "total": sum(q["points"] for q in questions), "max": float(len(questions)),
    }


SPECS = [{"question": "q1", "title": "title q1", "points": 1}, {"question": "q2", "title": "title q2", "points": 1}]


def test_wrong_reasons_are_counted_without_the_hint_line_and_by_the_exception():
    rows = [
        _row("a", "ok", {"q1": ("incorrect", "Too few layers.\nStuck? Call q1.hint()."), "q2": ("correct", "Right.")}),
        _row("b", "ok", {"q1": ("incorrect", "Too few layers.\nStuck? Call q1.hint()."), "q2": ("correct", "Right.")}),
        _row("c", "ok", {"q1": ("your code raised", "NameError: name 'x' is not defined\nin build_model, line 3: x"), "q2": ("not attempted", "Set it.")}),
        _row("d", "ok", {"q1": ("your code raised", "NameError: name 'x' is not defined\nin build_model, line 9: y = x"), "q2": ("incorrect", "Too high.")}),
        _row("e", "ok", {"q1": ("incorrect", "Wrong activation."), "q2": ("correct", "Right.")}),
    ]
    assert wrong_reasons(rows, "q1") == [
        ("incorrect", "Too few layers.", 2),
        ("your code raised", "NameError: name 'x' is not defined", 2),
        ("incorrect", "Wrong activation.", 1),
    ]
    assert wrong_reasons(rows, "q2") == [("incorrect", "Too high.", 1)]
    page = report_html("ex99", SPECS, [(row, row["student"]) for row in rows], expected=7, complete=False)
    assert "Grading in progress: 5 of 7 notebook(s) done" in page
    assert "<tr><td class='count'>2</td><td>incorrect</td><td>Too few layers.</td></tr>" in page
    assert "<tr><td class='count'>2</td><td>raised</td><td>NameError: name &#x27;x&#x27; is not defined</td></tr>" in page
    assert "hint()" not in page


def test_notebooks_that_were_not_graded_are_listed_but_not_counted():
    rows = [_row("ok1", "ok", {"q1": ("correct", "Right."), "q2": ("correct", "Right.")})]
    for status in NOT_GRADED:
        rows.append({**_row(f"x-{status.replace(' ', '-')}", status, {}), "detail": f"because {status}\nmore"})
    rows.append(_row("slow", "timeout", {"q1": ("your code raised", "Your notebook was stopped."), "q2": ("not attempted", "Set it.")}))
    page = report_html("ex99", SPECS, [(row, row["student"]) for row in rows], expected=len(rows), complete=True)
    assert "2 notebook(s) graded, 3 not graded" in page
    for status in (*NOT_GRADED, "timeout"):
        assert f"data-status='{status}'>{status} (1)</h3>" in page
    assert "because unreadable" in page and "more" not in page
    # shares: of the 2 graded notebooks; q1 one correct and one raised
    assert "<tr><td>q1</td><td>title q1</td><td class='count'>1</td><td class='count'>0</td><td class='count'>0</td><td class='count'>1</td></tr>" in page


def test_student_text_is_escaped():
    row = _row("<script>alert(1)</script>", "ok", {"q1": ("incorrect", "<b>bold</b> & more"), "q2": ("correct", "Right.")})
    page = report_html("ex99", SPECS, [(row, "safe-name")], expected=1, complete=True)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "href='feedback/safe-name.md'" in page


def test_an_empty_run_still_makes_a_page():
    page = report_html("ex99", SPECS, [], expected=0, complete=True)
    assert "No notebook has been graded yet." in page and "<svg" not in page
    assert "q1 · title q1" in page and "q2 · title q2" in page
