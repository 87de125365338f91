"""The ``functional-keras-course`` command: init keeps a learner's work; every bad input gets a message, not a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import cli
from course_utils.numerics import kernel_environment
from course_utils.locations import course_folder, exercises_folder, is_checkout, lessons_folder, solutions_folder

COMMAND = [sys.executable, "-m", "course_utils"]
BIN = Path(sys.executable).parent


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=timeout, env=env)


def course_notebooks() -> list[str]:
    return sorted(f"{folder}/{p.name}" for folder in cli.COPIED_FOLDERS for p in (course_folder() / folder).glob("*.ipynb"))


# ------------------------------------------------------------------ locations
def test_the_checkout_is_found_beside_the_package():
    assert is_checkout()
    assert (lessons_folder() / "00_welcome.ipynb").is_file()
    assert sorted(p.stem for p in exercises_folder().glob("ex*.ipynb")) == sorted(p.stem for p in solutions_folder().glob("ex*.ipynb"))


# ------------------------------------------------------------------ init
def test_init_copies_lessons_and_handouts_but_not_solutions(tmp_path):
    report = cli.init_course(tmp_path / "course")
    copied = sorted(str(p.relative_to(tmp_path / "course")) for p in (tmp_path / "course").rglob("*.ipynb"))
    assert copied == course_notebooks() == sorted(report.added)
    assert len(copied) >= 26 and not (tmp_path / "course" / "solutions").exists()
    for relative in copied:
        assert (tmp_path / "course" / relative).read_bytes() == (course_folder() / relative).read_bytes()


def test_a_second_init_keeps_what_the_learner_changed_and_adds_what_is_missing(tmp_path):
    folder = tmp_path / "course"
    cli.init_course(folder)
    mine = folder / "exercises" / "ex01_sequential.ipynb"
    mine.write_text('{"my": "answers"}')
    (folder / "notebooks" / "03_branching.ipynb").unlink()
    report = cli.init_course(folder)
    assert report.kept == ["exercises/ex01_sequential.ipynb"]
    assert report.added == ["notebooks/03_branching.ipynb"]
    assert mine.read_text() == '{"my": "answers"}'
    assert any("Kept 1 notebook" in line and "ex01_sequential" in line for line in report.lines())
    # and once more: the learner's notebook is still theirs, nothing else to do
    again = cli.init_course(folder)
    assert again.kept == ["exercises/ex01_sequential.ipynb"] and not again.added and not again.updated


def test_init_updates_a_notebook_the_learner_never_touched(tmp_path):
    """A notebook exactly as an earlier init copied it is replaced by the course's newer version."""
    folder = tmp_path / "course"
    cli.init_course(folder)
    lesson = folder / "notebooks" / "01_sequential.ipynb"
    older = b'{"an": "older course version"}'
    lesson.write_bytes(older)
    manifest = json.loads((folder / cli.MANIFEST).read_text())
    manifest["copied"]["notebooks/01_sequential.ipynb"] = cli._sha256(lesson)  # as if an older init had copied it
    (folder / cli.MANIFEST).write_text(json.dumps(manifest))
    report = cli.init_course(folder)
    assert report.updated == ["notebooks/01_sequential.ipynb"] and not report.kept
    assert lesson.read_bytes() == (course_folder() / "notebooks" / "01_sequential.ipynb").read_bytes()


def test_a_notebook_that_was_there_before_init_is_kept(tmp_path):
    folder = tmp_path / "course"
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "00_welcome.ipynb").write_text("{}")
    report = cli.init_course(folder)
    assert report.kept == ["notebooks/00_welcome.ipynb"]
    assert (folder / "notebooks" / "00_welcome.ipynb").read_text() == "{}"


def test_init_from_the_command_line_says_what_it_did(tmp_path):
    first = run("init", str(tmp_path / "c"))
    assert first.returncode == 0, first.stderr
    assert f"Copied {len(course_notebooks())} notebook(s)" in first.stdout and "functional-keras-course lab" in first.stdout
    second = run("init", str(tmp_path / "c"))
    assert second.returncode == 0 and "nothing to do" in second.stdout


@pytest.mark.parametrize("case", ["a file", "under a file", "unwritable"])
def test_a_bad_folder_gets_a_message_not_a_traceback(tmp_path, case):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    target = {"a file": blocker, "under a file": blocker / "course", "unwritable": Path("/proc/course")}[case]
    result = run("init", str(target))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "functional-keras-course init ~/functional-keras-course" in result.stderr  # the fix


# ------------------------------------------------------------------ lab
def test_lab_refuses_a_busy_port_with_the_fix(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("lab", str(tmp_path / "c"), "--port", str(port), "--no-browser")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"Port {port} on 127.0.0.1 is busy" in result.stderr and f"--port {port + 1}" in result.stderr


@pytest.mark.parametrize("option", [["--port", "0"], ["--ip", "no such host..x"], ["--ip", "10.255.255.1"]])
def test_lab_explains_a_bad_address(tmp_path, option):
    result = run("lab", str(tmp_path / "c"), *option, "--no-browser")
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_lab_picks_the_next_port_when_the_default_is_busy():
    with socket.socket() as taken:
        if cli._free("127.0.0.1", 8888):  # otherwise something else already holds it, which is the same case
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            taken.bind(("127.0.0.1", 8888))
            taken.listen()
        port, note = cli._choose_port("127.0.0.1", None)
    assert port != 8888 and note.startswith("Port 8888 is busy; using")


def test_the_lab_kernel_is_this_python_with_the_course_numeric_set_up(tmp_path):
    spec = json.loads((cli._kernel_folder(tmp_path) / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["env"] == kernel_environment()
    assert {"TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS"} <= set(spec["env"])


def test_lab_serves_lesson_00_at_the_printed_url(tmp_path):
    """Start the real server, open the URL it prints, stop it with Ctrl-C."""
    import re
    import signal
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = subprocess.Popen(
        [*COMMAND, "lab", str(tmp_path / "c"), "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        url = ""
        while not url:
            line = server.stdout.readline()
            assert line, "the command ended without printing a URL"
            found = re.search(r"http://127\.0\.0\.1:\d+/lab/tree/notebooks/00_welcome\.ipynb\?token=\w+", line)
            url = found.group(0) if found else ""
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer at the printed URL within 60 s"
                time.sleep(0.5)
        token = url.rsplit("=", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}", timeout=10) as listing:
            names = {item["name"] for item in json.load(listing)["content"]}
        assert "00_welcome.ipynb" in names
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert server.returncode == 0


# ------------------------------------------------------------------ check, grade, help
def test_check_reports_a_missing_dot_with_its_fix():
    hidden = dict(os.environ, PATH=str(BIN))  # the venv's own programs only: no Graphviz
    result = run("check", env=hidden)
    assert result.returncode == 1
    assert "✘ Graphviz `dot`: not found on the PATH" in result.stdout
    assert "sudo apt-get install graphviz" in result.stdout and "brew install graphviz" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_check_passes_here():
    result = run("check")
    assert result.returncode == 0, result.stdout
    assert "All set: the course is ready." in result.stdout


@pytest.mark.parametrize("level", [[], ["init"], ["lab"], ["check"], ["grade"]])
def test_every_level_has_help(level):
    result = run(*level, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: functional-keras-course {' '.join(level)}".rstrip())


def test_the_console_script_is_installed():
    script = BIN / "functional-keras-course"
    assert script.is_file(), "pip install -e . (make setup) installs the console script"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "init" in result.stdout and "grade" in result.stdout


def test_grade_through_the_command_reports_usage_errors_as_the_grader_does(tmp_path):
    result = run("grade", str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
