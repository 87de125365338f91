"""Right answers in other spellings are judged correct, by ``check()`` and by the classroom grader.

The corpus is ``tests/right_answers/exNN_topic.py`` (see its package docstring). Fresh-layer
answers to the questions that reuse a model of the notebook are judged incorrect, with the
reuse message.
"""

from __future__ import annotations

import functools
import importlib
import tempfile
from pathlib import Path

import pytest

from course_utils.checks import CORRECT, INCORRECT, exercise
from course_utils.grade.export import cell_source, read_record
from course_utils.grade.score import judge_record

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(p.stem for p in (ROOT / "solutions").glob("ex*.ipynb"))


@functools.cache
def _exercise(name):
    return exercise(name)


def _right(name):
    try:
        return importlib.import_module(f"right_answers.{name}").RIGHT
    except ModuleNotFoundError:
        return {}


def _given(problem):
    """The models of the notebook that the question reuses, as the learner's notebook has them."""
    reused = problem.spec.get("reuses")
    return {reused: problem.exercise.reference_namespace(problem.question)[reused]} if reused else {}


def _answer(problem, answer):
    """The answer as a learner writes it: a function of no arguments (reuse answers get the notebook's model)."""
    given = _given(problem)
    return functools.partial(answer, *given.values()) if given else answer


def _graded(problem, answer, tmp_path):
    """The grader's verdict: the export cell runs on a learner namespace, the grader judges the record."""
    directory = Path(tempfile.mkdtemp(prefix=f"export-{problem.question}-", dir=tmp_path))
    namespace = {problem.name: answer, **_given(problem)}
    exec(cell_source(problem.spec, nonce="n0nce", directory=directory), namespace)
    return judge_record(problem, read_record(directory, "n0nce", problem.question))[0]


def _cases():
    for name in NAMES:
        for question, answers in _right(name).items():
            for label, answer in answers:
                yield pytest.param(name, question, answer, id=f"{name}-{question}-{label}")


@pytest.mark.parametrize("name", NAMES)
def test_every_model_question_has_three_right_answers(name):
    table = _right(name)
    for problem in _exercise(name).questions:
        if problem.spec["kind"] == "model":
            assert len(table.get(problem.question, [])) >= 3, f"{name} {problem.question}: write three right answers"


@pytest.mark.parametrize("name, question, answer", list(_cases()))
def test_right_answer_is_correct_in_the_notebook_and_in_the_grader(name, question, answer, tmp_path):
    problem = getattr(_exercise(name), question)
    answer = _answer(problem, answer)
    in_notebook = problem.check(**{problem.name: answer}, **_given(problem))
    assert in_notebook.status == CORRECT, in_notebook.message
    graded = _graded(problem, answer, tmp_path)
    assert (graded.status, graded.message) == (in_notebook.status, in_notebook.message)


def _fresh_copy(problem):
    """A model of the reference's design built from new layers: what a learner writes who rebuilds the given model."""
    import keras

    from course_utils.training import reset

    reference = problem.exercise.reference_namespace(problem.question)[problem.name]
    reset(0)
    return lambda: keras.models.clone_model(reference())


@pytest.mark.parametrize("name, question", [(n, p.question) for n in NAMES for p in exercise(n).questions if p.spec.get("reuses")])
def test_fresh_layers_fail_a_reuse_question_with_the_reuse_message(name, question, tmp_path):
    problem = getattr(_exercise(name), question)
    answer = _fresh_copy(problem)
    given = problem.spec["reuses"]
    in_notebook = problem.check(**{problem.name: answer}, **_given(problem))
    assert in_notebook.status == INCORRECT
    assert f"build it from {given}'s own layers" in in_notebook.message, in_notebook.message
    graded = _graded(problem, answer, tmp_path)
    assert (graded.status, graded.message) == (in_notebook.status, in_notebook.message)


def test_a_reuse_question_without_the_given_model_says_what_to_run():
    problem = _exercise("ex02_functional_basics").q3
    outcome = problem.check(**{problem.name: _fresh_copy(problem)})
    assert outcome.status == INCORRECT and "run those cells" in outcome.message, outcome.message
