"""A learner's progress record: every check remembered, never in the way, shown and forgotten on request."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course_utils import progress
from course_utils.checks import CORRECT, ERROR, INCORRECT, NOT_ATTEMPTED, exercise
from course_utils.grade.execute import Limits, _kernel_env

NAME = "ex01_sequential"
RIGHT_COUNT = (8 * 16 + 16) + (16 * 16 + 16) + (16 * 3 + 3)  # q2 of ex01: the stack's parameters


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty record folder for this test, the real clock, and the one-time note not yet given."""
    folder = tmp_path / "home"
    monkeypatch.setenv(progress.HOME_VARIABLE, str(folder))
    monkeypatch.delenv(progress.CLOCK_VARIABLE, raising=False)
    monkeypatch.delenv(progress.OFF_VARIABLE, raising=False)
    monkeypatch.setattr(progress, "_noted", False)
    return folder


@pytest.fixture(scope="module")
def ex01():
    return exercise(NAME)


def _cli(*args: str, env_home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != progress.CLOCK_VARIABLE}
    env[progress.HOME_VARIABLE] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "course_utils.progress", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def test_checks_of_every_outcome_are_recorded_and_listed(home, ex01, capsys):
    def raises():
        return 1 / 0

    outcomes = [
        ex01.q1.check(build_model=raises),
        ex01.q2.check(parameter_count=RIGHT_COUNT - 3),
        ex01.q2.check(parameter_count=RIGHT_COUNT),
        ex01.q3.check(),  # nothing written yet
    ]
    assert [o.status for o in outcomes] == [ERROR, INCORRECT, CORRECT, NOT_ATTEMPTED]
    assert "not being saved" not in capsys.readouterr().err
    stored = progress.attempts()
    assert [(a.exercise, a.question, a.outcome) for a in stored] == [
        (NAME, "q1", ERROR), (NAME, "q2", INCORRECT), (NAME, "q2", CORRECT), (NAME, "q3", NOT_ATTEMPTED)
    ]
    today = time.strftime("%Y-%m-%d")
    assert all(a.time.startswith(time.strftime("%Y-%m-%d", time.gmtime())) for a in stored)
    # no answer text is kept: only the four columns
    with sqlite3.connect(progress.record_path()) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(attempts)")]
        values = " ".join(str(v) for row in connection.execute("SELECT * FROM attempts") for v in row)
    assert columns == ["id", "exercise", "question", "outcome", "time"]
    assert str(RIGHT_COUNT - 3) not in values and "ZeroDivisionError" not in values

    states = {(s.question): (s.state, s.last) for s in progress.show(NAME).questions}
    assert states == {
        "q1": (progress.TRIED, today),
        "q2": (progress.SOLVED, today),
        "q3": (progress.NOT_STARTED, None),  # a check before any answer is not an attempt
        "q4": (progress.NOT_STARTED, None),
    }

    said = _cli("--exercise", NAME, env_home=home)
    assert said.returncode == 0, said.stderr
    lines = said.stdout.splitlines()
    assert str(progress.record_path()) in lines[0]
    assert "1 of 4 solved, 1 tried, 2 not started" in said.stdout
    table = {line.split()[1]: line for line in lines if line.startswith(NAME)}
    assert "solved" in table["q2"] and today in table["q2"]
    assert "tried, not solved" in table["q1"] and "not started" in table["q3"]
    recent = [line.split() for line in lines if line.startswith("  ")]
    assert [(r[3], " ".join(r[4:])) for r in recent] == [("q3", NOT_ATTEMPTED), ("q2", CORRECT), ("q2", INCORRECT), ("q1", ERROR)]


def test_the_whole_course_is_listed_when_nothing_is_recorded(home):
    said = _cli(env_home=home)
    assert said.returncode == 0, said.stderr
    assert "nothing recorded yet" in said.stdout and "0 of 50 solved, 0 tried, 50 not started" in said.stdout
    rows = [line for line in said.stdout.splitlines() if line.startswith("ex") and not line.startswith("exercise")]
    assert len(rows) == 50 and all("not started" in row for row in rows)
    assert not home.exists(), "showing the record never creates it"


WRITER = """
import sys, time
from course_utils import progress
tag, count = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()  # both start writing at the same moment, whatever their start-up took
saved = 0
for i in range(count):
    saved += progress.record("ex01_sequential", f"{tag}-{i}", "incorrect")
    time.sleep(0.005)  # as kernels do, not back to back: SQLite's busy wait would let one writer starve the other
print(saved)
"""


def test_two_processes_writing_at_once_lose_nothing(home):
    count = 200
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, tag, str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for tag in ("a", "b")
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    results = [writer.communicate(timeout=120) for writer in writers]
    for (out, err), writer in zip(results, writers):
        assert writer.returncode == 0, err
        assert out.strip() == str(count) and "not being saved" not in err
    stored = progress.attempts()
    assert len(stored) == 2 * count
    for tag in ("a", "b"):
        assert sorted(a.question for a in stored if a.question.startswith(tag)) == sorted(f"{tag}-{i}" for i in range(count))
    # they really interleaved: the rows of one writer are not all before the other's
    order = [a.question[0] for a in stored]
    assert order.index("b") < len(order) - order[::-1].index("a") - 1 and order.index("a") < len(order) - order[::-1].index("b") - 1


def test_a_corrupt_record_is_left_alone_and_noted_once(home, ex01, capsys):
    home.mkdir()
    damaged = b"these bytes are not a SQLite database " * 100
    progress.record_path().write_bytes(damaged)
    first = ex01.q2.check(parameter_count=RIGHT_COUNT)
    second = ex01.q2.check(parameter_count=1)
    assert (first.status, second.status) == (CORRECT, INCORRECT)
    err = capsys.readouterr().err
    assert err.count("your progress is not being saved") == 1
    assert "not a progress record" in err and str(progress.record_path()) in err
    assert progress.record_path().read_bytes() == damaged
    view = progress.show(NAME)
    assert "could not be read" in view.problem and all(q.state == progress.NOT_STARTED for q in view.questions)
    assert "could not be read" in view._repr_html_()
    assert progress.record_path().read_bytes() == damaged


def test_reset_moves_an_unreadable_record_aside_only_when_asked(home):
    home.mkdir()
    progress.record_path().write_bytes(b"garbage" * 50)
    said = _cli("--reset", env_home=home, stdin="n\n")
    assert said.returncode == 1 and "Nothing was changed" in said.stdout
    assert progress.record_path().read_bytes() == b"garbage" * 50
    said = _cli("--reset", "--yes", env_home=home)
    assert said.returncode == 0, said.stdout + said.stderr
    assert not progress.record_path().exists()
    assert (home / "progress.sqlite3.unreadable").read_bytes() == b"garbage" * 50


def test_an_unwritable_home_does_not_change_the_check(tmp_path, monkeypatch, ex01, capsys):
    # We run as root, for whom permissions are no obstacle: a folder inside a regular file is.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(progress.HOME_VARIABLE, str(blocker / "home"))
    monkeypatch.setattr(progress, "_noted", False)
    outcome = ex01.q2.check(parameter_count=RIGHT_COUNT)
    again = ex01.q2.check(parameter_count=RIGHT_COUNT)
    assert outcome == again and outcome.status == CORRECT
    err = capsys.readouterr().err
    assert err.count("your progress is not being saved") == 1
    assert f"the folder {blocker / 'home'} cannot be created or written" in err
    assert blocker.read_text() == "not a folder"


def test_a_locked_record_is_waited_for_then_noted(home, monkeypatch, capsys):
    assert progress.record(NAME, "q1", INCORRECT)
    monkeypatch.setattr(progress, "BUSY_SECONDS", 0.1)
    holder = sqlite3.connect(progress.record_path(), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program keeps the database locked
    try:
        assert progress.record(NAME, "q1", CORRECT) is False
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert err.count("not being saved") == 1 and "is locked by another program" in err
    assert progress.record(NAME, "q2", CORRECT) is True  # released: recording goes on
    assert [(a.question, a.outcome) for a in progress.attempts()] == [("q1", INCORRECT), ("q2", CORRECT)]


def test_a_lock_released_within_the_wait_loses_nothing(home, capsys):
    assert progress.record(NAME, "q1", INCORRECT)
    code = textwrap.dedent(
        f"""
        import sqlite3, time
        c = sqlite3.connect({str(progress.record_path())!r}, isolation_level=None)
        c.execute("BEGIN EXCLUSIVE"); print("locked", flush=True); time.sleep(0.7); c.execute("COMMIT")
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    assert progress.record(NAME, "q1", CORRECT) is True
    holder.wait(timeout=30)
    assert [a.outcome for a in progress.attempts()] == [INCORRECT, CORRECT]
    assert "not being saved" not in capsys.readouterr().err


def test_the_graders_kernels_record_nothing(home, monkeypatch, capsys):
    env = _kernel_env(Limits(), home)
    assert env[progress.OFF_VARIABLE] == "off"
    monkeypatch.setenv(progress.OFF_VARIABLE, env[progress.OFF_VARIABLE])
    assert progress.record(NAME, "q1", CORRECT) is False
    assert not home.exists()
    assert capsys.readouterr().err == ""
    assert "not recorded in this kernel" in progress.show(NAME).problem


def test_a_fixed_clock_gives_stable_dates(home, monkeypatch):
    monkeypatch.setenv(progress.CLOCK_VARIABLE, progress.FIXED_TIME)
    progress.record(NAME, "q4", INCORRECT)
    (attempt,) = progress.attempts()
    assert attempt.time == "2026-01-01T12:00:00+00:00"
    html = progress.show(NAME)._repr_html_()
    assert "2026-01-01" in html and html.count("✘ q4") == 1
    for question in ("q1", "q2", "q3", "q4"):
        assert f"<b>{'✘' if question == 'q4' else '·'} {question}</b>" in html


def test_reset_asks_then_forgets(home):
    for question in ("q1", "q2"):
        progress.record(NAME, question, CORRECT)
    said = _cli("--reset", env_home=home, stdin="no\n")
    assert said.returncode == 1 and "Forget all 2 recorded check(s)" in said.stdout
    assert len(progress.attempts()) == 2
    said = _cli("--reset", env_home=home)  # no terminal to answer: nothing is forgotten
    assert said.returncode == 1 and "--yes" in said.stdout and len(progress.attempts()) == 2
    said = _cli("--reset", env_home=home, stdin="y\n")
    assert said.returncode == 0 and "Forgot 2 recorded check(s)" in said.stdout
    assert progress.attempts() == []
    progress.record(NAME, "q3", CORRECT)
    said = _cli("--reset", "--yes", env_home=home)
    assert said.returncode == 0 and "Forgot 1" in said.stdout and progress.attempts() == []


def test_an_unknown_exercise_is_said_plainly(home):
    said = _cli("--exercise", "ex99_nothing", env_home=home)
    assert said.returncode == 1 and "no exercise named 'ex99_nothing'" in said.stdout
    assert "Traceback" not in said.stdout + said.stderr


def test_chromium_renders_the_progress_view(home, monkeypatch):
    from offline_browser import ARTIFACTS, offline_page, publish

    sample = [  # a learner two weeks in: (day of January 2026, exercise, question, outcome)
        (5, "ex01_sequential", "q1", INCORRECT), (5, "ex01_sequential", "q1", CORRECT), (5, "ex01_sequential", "q2", CORRECT),
        (6, "ex01_sequential", "q3", CORRECT), (6, "ex01_sequential", "q4", CORRECT), (12, "ex02_functional_basics", "q1", CORRECT),
        (12, "ex02_functional_basics", "q2", ERROR), (13, "ex02_functional_basics", "q3", INCORRECT), (13, "ex03_branching", "q1", NOT_ATTEMPTED),
    ]
    for day, *row in sample:
        monkeypatch.setenv(progress.CLOCK_VARIABLE, f"2026-01-{day:02d}T12:00:00+00:00")
        assert progress.record(*row)
    view = progress.show()
    page_file = home / "progress.html"
    page_file.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='font-family:sans-serif'>{view._repr_html_()}</body></html>", encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "progress-view.png"
    with offline_page(width=760, height=600) as (page, refused):
        page.goto(page_file.as_uri())
        badges = page.locator(".course-progress td > span")
        assert badges.count() == 50
        assert page.locator(".course-progress tr").count() == 12
        shown = page.locator(".course-progress").inner_text()
        assert "Your progress · 5 of 50 solved, 2 tried, 43 not started" in shown
        assert "2026-01-06" in shown and "2026-01-13" in shown  # each question's own last attempt
        colours = {}
        for index in range(badges.count()):
            text = badges.nth(index).inner_text().split()
            colours.setdefault(text[0], set()).add(badges.nth(index).evaluate("e => getComputedStyle(e).backgroundColor"))
        assert set(colours) == {"✔", "✘", "·"} and all(len(c) == 1 for c in colours.values())
        assert len(set().union(*colours.values())) == 3, "each state has its own colour"
        page.locator(".course-progress").screenshot(path=str(shot))
    assert refused == []
    publish(shot, "progress_view.png")
