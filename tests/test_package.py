"""The course as an installed package: a wheel in a fresh venv, far from the checkout, runs the course.

The wheel is built from this checkout and installed (not editable) into a new virtual
environment in a temporary folder, with the pinned versions of requirements.txt. Every
command then runs there, from a folder outside the checkout, with no path to the
repository in its environment: ``init`` copies the course, a lesson and a solution pass
nbval, ``q1.check()`` tells a right answer from a wrong one, and the grader grades a folder.
Installing reuses pip's cache, so TensorFlow is downloaded at most once per machine.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_utils.numerics import comparison_mode, kernel_environment

ROOT = Path(__file__).resolve().parent.parent
LESSON = "02_functional_basics"
EXERCISE = "ex01_sequential"


class Installed:
    """A venv with the course installed from its wheel, and a way to run commands in it."""

    def __init__(self, venv: Path, home: Path) -> None:
        self.venv = venv
        self.python = venv / "bin" / "python"
        self.home = home  # the working folder of every command: outside the checkout
        path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith(str(ROOT))]
        # Nothing that names the checkout (PYTHONPATH, JUPYTER_PATH, VIRTUAL_ENV, PWD …) reaches the commands.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if str(ROOT) not in value and key not in {"PYTHONPATH", "PYTHONHOME"} and not key.startswith("PYTEST_")
        }
        self.env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
        self.env["JUPYTER_RUNTIME_DIR"] = str(home / "jupyter-runtime")

    def run(self, *command: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(c) for c in command], cwd=self.home, env=self.env, capture_output=True, text=True, timeout=timeout)

    def ok(self, *command: str | Path, timeout: float = 600) -> str:
        result = self.run(*command, timeout=timeout)
        assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    def python_code(self, source: str) -> str:
        return self.ok(self.python, "-c", textwrap.dedent(source))


def pins_without_the_course() -> str:
    """requirements.txt without its last line (``-e .``): the constraints the wheel is installed with."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return "\n".join(line for line in lines if line.strip() != "-e .") + "\n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("installed-course")
    assert not base.is_relative_to(ROOT)
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = wheels.glob("functional_keras_course-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    constraints = base / "constraints.txt"
    constraints.write_text(pins_without_the_course())
    home = base / "home"
    home.mkdir()
    course = Installed(venv, home)
    course.ok(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--constraint", constraints, f"{wheel}[test]", timeout=1200)
    return course


def test_the_course_is_imported_from_the_wheel_not_the_checkout(installed):
    report = json.loads(
        installed.python_code(
            """
            import json, sys, importlib.metadata as md
            import course_utils, course_utils.locations as loc
            dist = md.distribution("functional-keras-course")
            print(json.dumps({"file": course_utils.__file__, "path": sys.path, "checkout": loc.is_checkout(),
                              "course": str(loc.course_folder()), "direct_url": dist.read_text("direct_url.json")}))
            """
        )
    )
    site = installed.venv / "lib"
    assert Path(report["file"]).is_relative_to(site)
    assert not any(entry.startswith(str(ROOT)) for entry in report["path"]), report["path"]
    assert report["checkout"] is False and Path(report["course"]).is_relative_to(site)
    assert report["direct_url"] is None or '"editable": true' not in report["direct_url"]


def test_init_then_a_lesson_and_a_solution_pass_nbval(installed):
    folder = installed.home / "my-course"
    said = installed.ok("functional-keras-course", "init", folder)
    assert "Copied 26 notebook(s)" in said
    assert (folder / "notebooks" / f"{LESSON}.ipynb").is_file() and (folder / "exercises" / f"{EXERCISE}.ipynb").is_file()
    packaged = Path(installed.python_code("import course_utils.locations as l; print(l.solutions_folder())").strip())
    sanitize = installed.python_code("import course_utils.locations as l; print(l.sanitize_file())").strip()
    (installed.home / "pytest.ini").write_text("[pytest]\n")  # no project configuration but ours
    result = installed.run(
        installed.python, "-m", "pytest", "-c", installed.home / "pytest.ini", "--rootdir", installed.home,
        "-p", "no:cacheprovider", "-p", "course_utils.nbval_numbers",
        "--nbval", "--nbval-current-env", "--nbval-sanitize-with", sanitize,
        folder / "notebooks" / f"{LESSON}.ipynb", packaged / f"{EXERCISE}.ipynb",
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    mode = comparison_mode(kernel_environment())  # exact here; tolerant on a machine unlike the storing one
    assert f"course outputs: {mode.name} comparison" in result.stdout  # the README's command, with the mode in its header
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_a_check_tells_right_from_wrong(installed):
    said = installed.python_code(
        f"""
        import keras
        from keras import layers
        from course_utils.checks import exercise

        q1 = exercise("{EXERCISE}").q1
        namespace = {{"keras": keras, "layers": layers}}
        exec(q1.cell.source, namespace)              # the solution's own answer cell, as a learner would type it
        right = q1.check(**{{q1.name: namespace[q1.name]}})

        def too_small():
            return keras.Sequential([keras.Input(shape=(8,)), layers.Dense(3, activation="softmax")])

        wrong = q1.check(**{{q1.name: too_small}})
        print(right.status, "|", wrong.status, "|", wrong.message.splitlines()[0])
        """
    )
    right, wrong, reason = [part.strip() for part in said.strip().splitlines()[-1].split("|")]
    assert (right, wrong) == ("correct", "incorrect"), said
    assert reason


def test_the_grader_grades_a_folder(installed):
    folder = installed.home / "class-course"
    installed.ok("functional-keras-course", "init", folder)
    packaged = Path(installed.python_code("import course_utils.locations as l; print(l.solutions_folder())").strip())
    submissions = installed.home / "submissions"
    submissions.mkdir()
    shutil.copy(packaged / f"{EXERCISE}.ipynb", submissions / "alice.ipynb")
    shutil.copy(folder / "exercises" / f"{EXERCISE}.ipynb", submissions / "bob.ipynb")
    out = installed.home / "grades"
    installed.ok("functional-keras-course", "grade", submissions, "--out", out, "--workers", "1", "--quiet", timeout=900)
    with open(out / "gradebook.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"]["status"] == rows["bob"]["status"] == "ok"
    assert float(rows["alice"]["total"]) == float(rows["alice"]["max"]) > 0
    assert float(rows["bob"]["total"]) == 0
