"""Exercises: generated from solutions/, instant checks, every wrong answer judged with its reason."""

from __future__ import annotations

import importlib
from pathlib import Path

import course_utils  # noqa: F401
import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.checks import CORRECT, ERROR, INCORRECT, NOT_ATTEMPTED, exercise
from course_utils.exercises import ExerciseBuildError, build_all, exercise_text
from course_utils.regions import RegionError, region_text, strip_regions

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("ex*.ipynb"))
NAMES = [path.stem for path in SOLUTIONS]


def test_exercises_are_regenerated_byte_for_byte(tmp_path):
    committed = ROOT / "exercises"
    assert build_all(ROOT / "solutions", committed, check=True) == [], "run `make exercises` and commit the result"
    build_all(ROOT / "solutions", tmp_path)
    for path in SOLUTIONS:
        assert (tmp_path / path.name).read_bytes() == (committed / path.name).read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_exercise_keeps_ids_and_roles_and_drops_answers_and_outputs(name):
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    handout = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    assert [c.id for c in handout.cells] == [c.id for c in solution.cells]
    assert [c.metadata for c in handout.cells] == [c.metadata for c in solution.cells]
    assert "widgets" not in handout.metadata
    for given, truth in zip(handout.cells, solution.cells):
        if given.cell_type != "code":
            assert given.source == truth.source
            continue
        assert given.outputs == [] and given.execution_count is None
        role = truth.metadata["course"]["role"]
        if role == "answer":
            assert "### BEGIN SOLUTION" not in given.source and "# YOUR CODE HERE" in given.source
            assert region_text(truth.source) not in given.source
        else:
            assert given.source == truth.source, f"{role} cells are handed out unchanged"


@pytest.mark.parametrize("name", NAMES)
def test_solution_stores_every_check_correct(name):
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    checks = [c for c in solution.cells if c.metadata.get("course", {}).get("role") == "check"]
    questions = [c for c in solution.cells if c.metadata.get("course", {}).get("role") == "answer"]
    assert 3 <= len(questions) <= 5 and len(checks) == len(questions)
    kinds = {c.metadata["course"]["kind"] for c in questions}
    assert kinds == {"model", "value"}, "mix model and value questions"
    for cell in checks:
        texts = [o["data"]["text/plain"] for o in cell.outputs if "data" in o]
        assert len(texts) == 1 and texts[0].startswith(f"✔ {cell.metadata['course']['question']} · correct"), texts


@pytest.mark.parametrize("name", NAMES)
def test_handout_runs_and_every_check_is_not_attempted(name, tmp_path):
    notebook = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o["output_type"] == "error"], cell.source
        if cell.metadata["course"]["role"] == "check":
            (text,) = [o["data"]["text/plain"] for o in cell.outputs if "data" in o]
            assert f"· {NOT_ATTEMPTED} —" in text


def wrong_answers(name):
    """The WRONG table of tests/wrong_answers/<name>.py, or None when the file is missing."""
    try:
        return importlib.import_module(f"wrong_answers.{name}").WRONG
    except ModuleNotFoundError:
        return None


def wrong_cases():
    for name in NAMES:
        for question, cases in (wrong_answers(name) or {}).items():
            for label, answer, reason in cases:
                yield pytest.param(name, question, answer, reason, id=f"{name}-{question}-{label}")


@pytest.fixture(scope="module")
def exercises():
    return {name: exercise(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_every_question_has_several_wrong_answers(name, exercises):
    table = wrong_answers(name)
    assert table is not None, f"write tests/wrong_answers/{name}.py"
    for problem in exercises[name].questions:
        assert len(table.get(problem.question, [])) >= 3, f"{name} {problem.question}"


@pytest.mark.parametrize("name, question, answer, reason", list(wrong_cases()))
def test_wrong_answer_is_incorrect_with_its_reason(name, question, answer, reason, exercises):
    problem = getattr(exercises[name], question)
    reused = problem.spec.get("reuses")
    given = {reused: exercises[name].reference_namespace(question)[reused]} if reused else {}
    outcome = problem.check(**{problem.name: answer}, **given)
    assert outcome.status in (INCORRECT, ERROR), repr(outcome)
    assert reason in outcome.message, repr(outcome)
    assert "Traceback" not in outcome.message and "course_utils" not in outcome.message


@pytest.mark.parametrize("name", NAMES)
def test_reference_answers_pass_in_explicit_form(name, exercises):
    for problem in exercises[name].questions:
        namespace = exercises[name].reference_namespace(problem.question)
        given = {problem.spec["reuses"]: namespace[problem.spec["reuses"]]} if "reuses" in problem.spec else {}
        assert problem.check(**{problem.name: namespace[problem.name]}, **given).status == CORRECT


def test_learner_errors_show_their_line_not_ours():
    def build_model():
        inputs = keras_input()
        return inputs

    def keras_input():
        raise ValueError("shape must be a tuple")

    problem = exercise(NAMES[0]).questions[0]
    outcome = problem.check(**{problem.name: build_model})
    assert outcome.status == ERROR
    assert outcome.message.startswith("ValueError: shape must be a tuple\nin keras_input, line")
    assert 'raise ValueError("shape must be a tuple")' in outcome.message


def test_hints_come_in_levels_and_solution_comes_from_the_region():
    problem = exercise("ex01_sequential").q1
    first, last = problem.hint(), problem.hint(99)
    assert first.title == "q1 · hint 1 of 2" and "q1.hint(2)" in first.text
    assert last.title == "q1 · hint 2 of 2" and "hint(3)" not in last.text
    assert problem.solution().text == region_text(problem.cell.source)
    assert "keras.Sequential(" in problem.solution().text


def test_outcomes_render_as_text_and_html():
    problem = exercise("ex01_sequential").q2
    outcome = problem.check(parameter_count=1)
    assert repr(outcome).startswith("✘ q2 · incorrect — parameter_count is too low")
    assert "Stuck? Call q2.hint()." in repr(outcome)
    assert "<div" in outcome._repr_html_() and "q2 · incorrect" in outcome._repr_html_()


@pytest.mark.parametrize(
    "source, message",
    [
        ("x = 1\n### BEGIN SOLUTION\ny = 2\n", "never closed"),
        ("### END SOLUTION\n", "without a"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "opened inside"),
        ("y = 2  ### BEGIN SOLUTION\n", "must stand alone"),
    ],
)
def test_malformed_regions_fail_loudly(source, message):
    with pytest.raises(RegionError, match=message):
        strip_regions(source)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    with pytest.raises(ExerciseBuildError, match=message):
        exercise_text(notebook, source_name="broken.ipynb")


def test_placeholders_keep_indentation_and_run():
    source = "def build_model():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\nvalue = (\n    ### BEGIN SOLUTION\n    3\n    ### END SOLUTION\n)\n"
    stripped = strip_regions(source)
    namespace: dict = {}
    exec(stripped, namespace)
    assert namespace["build_model"]() is None and namespace["value"] is Ellipsis
