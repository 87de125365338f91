"""Instant, kind, precise feedback on exercises.

* :func:`exercise` loads an exercise's questions from its solution notebook;
* each question (:class:`Problem`) has ``check()``, ``hint(level)`` and ``solution()``;
* :func:`compare_models` is the structural and behavioural model comparison behind
  ``check()`` (and behind the classroom grader).

Example:
    >>> from course_utils.checks import exercise
    >>> q1, q2, q3 = exercise("ex03_branching").questions   # doctest: +SKIP
"""

from course_utils.checks.models import compare_models
from course_utils.checks.outcomes import CORRECT, ERROR, INCORRECT, NOT_ATTEMPTED, Outcome
from course_utils.checks.problems import Exercise, Problem, exercise

__all__ = ["CORRECT", "ERROR", "INCORRECT", "NOT_ATTEMPTED", "Exercise", "Outcome", "Problem", "compare_models", "exercise"]
