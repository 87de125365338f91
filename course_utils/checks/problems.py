"""Exercises and their questions: ``q1.check()``, ``q1.hint()``, ``q1.solution()``.

An exercise is read from its solution notebook, ``solutions/exNN_topic.ipynb``, the
single source of the course's exercises. Each answer cell carries its question in
its metadata::

    {"course": {"role": "answer", "question": "q1", "kind": "model",
                "name": "build_model", "title": "...", "hints": ["...", "..."]}}

* ``kind: "model"`` – ``name`` is a function that returns a Keras model; it is
  compared with the reference model (see :mod:`course_utils.checks.models`);
* ``kind: "value"`` – ``name`` is a variable (a shape, a number, a word) compared
  with the reference value; ``choices`` lists the allowed answers.

``"functional_only": true`` on a model question rejects a ``keras.Sequential`` answer.
``"nested_model": true`` asks for sub-models: the answer must call as many models as
layers as the reference does (any ``keras.Model`` counts). ``"reuses": "stack"`` says
that the answer must be built from the very layers of the model ``stack`` made in the
cells above, wherever the reference is (:func:`given_layer_paths`).

Other cells have the roles ``setup`` (imports, data, loading the exercise),
``context`` (code the learner runs, such as training) and ``check`` (``q1.check()``).
The reference comes from running the solution notebook's setup, context and answer
cells up to the question, in a fresh namespace – never from a second copy.

Example:
    >>> q1, q2, q3 = exercise("ex03_branching").questions   # doctest: +SKIP
    >>> q1.check()                                          # doctest: +SKIP
    ✔ q1 · correct — ...
"""

from __future__ import annotations

import contextlib
import io
import json
import linecache
import logging
import sys
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from course_utils import progress
from course_utils.checks.models import compare_models, reuse_difference
from course_utils.checks.outcomes import CORRECT, ERROR, INCORRECT, NOT_ATTEMPTED, Outcome, Shown
from course_utils.locations import solutions_folder
from course_utils.regions import region_text

__all__ = ["Exercise", "Problem", "exercise", "given_layer_paths", "layers_at", "solutions_folder"]

_PACKAGE = Path(__file__).resolve().parent.parent  # course_utils/: its frames are not the learner's


def exercise(name: str, *, folder: str | Path | None = None) -> "Exercise":
    """Load exercise ``name`` (for example ``"ex03_branching"``) from its solution notebook."""
    path = Path(folder or solutions_folder()) / f"{name}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(
            f"The reference for {name!r} was not found at {path}. Check the spelling (the names are those of "
            "the notebooks in exercises/, such as 'ex01_sequential'); if it is right, the course's solutions are "
            "missing: reinstall the course, or ask your instructor if they were left out on purpose."
        )
    return Exercise(name, _read_notebook(path))


class _Node(dict):  # type: ignore[type-arg]
    """A notebook or cell read from JSON, with nbformat's attribute access (``cell.source``)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _read_notebook(path: Path) -> _Node:
    """Read a notebook's cells as plain JSON.

    ``nbformat`` would validate it, and importing nbformat imports jsonschema, which
    builds an IRI grammar at import time: about 2 s of CPU in every learner's kernel
    (python-jsonschema/jsonschema#1428). The solution notebooks are the course's own.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in data.get("cells", []):
        source = cell.get("source", "")
        cells.append(_Node(cell, source="".join(source) if isinstance(source, list) else source, metadata=_Node(cell.get("metadata", {}))))
    return _Node(data, cells=cells)


class Exercise:
    """The questions of one exercise notebook, as ``.questions`` and as attributes ``q1``, ``q2``…"""

    def __init__(self, name: str, notebook: Any) -> None:
        self.name = name
        self.notebook = notebook
        self._reference_namespaces: dict[str, dict[str, Any]] = {}
        self.questions = [Problem(self, cell) for cell in notebook.cells if _role(cell) == "answer"]
        for problem in self.questions:
            setattr(self, problem.question, problem)

    def reference_namespace(self, question: str) -> dict[str, Any]:
        """Run the solution notebook up to the question's answer cell, checks left out (cached).

        Cells with the roles ``setup``, ``context`` and ``answer`` run, in order, in a
        fresh namespace; ``check`` cells and prose do not.
        """
        if question not in self._reference_namespaces:
            namespace: dict[str, Any] = {"__name__": "__reference__"}
            with _silenced():
                for cell in self.notebook.cells:
                    role = _role(cell)
                    if role in ("setup", "context", "answer"):
                        exec(compile(cell.source, f"<{self.name} reference>", "exec"), namespace)
                    if role == "answer" and cell.metadata["course"]["question"] == question:
                        break
            self._reference_namespaces[question] = namespace
        return self._reference_namespaces[question]


@dataclass
class Problem:
    """One question: check it, ask for hints, reveal the solution."""

    exercise: Exercise
    cell: Any  # a notebook cell: .source, .metadata

    @property
    def spec(self) -> dict[str, Any]:
        return self.cell.metadata["course"]

    @property
    def question(self) -> str:
        return str(self.spec["question"])

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    # ------------------------------------------------------------- check
    def check(self, **given: Any) -> Outcome:
        """Check the learner's answer, read from the notebook or given as ``name=value``.

        The outcome is also added to the learner's record (:mod:`course_utils.progress`).
        """
        namespace = {**_learner_namespace(), **given}
        produced = self.produce(namespace.get(self.name, Ellipsis))
        if isinstance(produced, Outcome):
            outcome = produced
        else:
            given_layers = None
            reused = self.spec.get("reuses")
            if reused:
                paths = given_layer_paths(produced, namespace.get(reused))
                given_layers = None if paths is None else layers_at(produced, paths)
            outcome = self.judge(produced, given_layers=given_layers)
        progress.record(self.exercise.name, self.question, outcome.status)  # never raises
        return outcome

    def produce(self, answer: Any) -> Any:
        """Turn the learner's answer into what is judged: the model their function builds, or the value.

        Returns an :class:`Outcome` instead when there is nothing to judge (not attempted,
        not a function, their code raised). The classroom grader calls this in the
        learner's kernel and exports the result; :meth:`judge` then runs in a clean process.
        """
        if answer is Ellipsis or answer is None:
            action = f"Write {self.name}()" if self.spec["kind"] == "model" else f"Set {self.name}"
            return self.outcome(NOT_ATTEMPTED, f"{action} in the cell above, run it, then check again.")
        if self.spec["kind"] != "model":
            return answer
        from course_utils.training import reset

        if not callable(answer):
            return self.outcome(INCORRECT, f"{self.name} should be a function that returns a Keras model.")
        reset(0)
        try:
            model = answer()
        except Exception as error:  # the learner's code may raise anything: report their line, not ours
            return self.outcome(ERROR, _learner_error(error))
        if model is None or model is Ellipsis:
            return self.outcome(NOT_ATTEMPTED, f"{self.name}() does not return a model yet: finish it, then check again.")
        return model

    def judge(self, produced: Any, *, given_layers: set[int] | None = None) -> Outcome:
        """Compare a produced model (or value) with the reference solution's.

        For a question that ``reuses`` a given model, ``given_layers`` holds the ids of
        the answer's layers that are that model's own (None: the model was not there).
        """
        if self.spec["kind"] == "model":
            return self._judge_model(produced, given_layers)
        return self._judge_value(produced)

    def _judge_model(self, model: Any, given_layers: set[int] | None = None) -> Outcome:
        import keras

        from course_utils.training import reset

        if not isinstance(model, keras.Model):
            return self.outcome(INCORRECT, f"{self.name}() should return a keras.Model, but it returned a {type(model).__name__}.")
        if self.spec.get("functional_only") and isinstance(model, keras.Sequential):
            return self.outcome(
                INCORRECT, "This question asks for the Functional API: build it with keras.Model(inputs, outputs), not keras.Sequential."
            )
        reset(0)
        namespace = self.exercise.reference_namespace(self.question)
        reference = namespace[self.name]()
        try:
            reason = compare_models(model, reference, nested=bool(self.spec.get("nested_model")))
        except Exception as error:  # e.g. an unbuilt Sequential: say what to do
            reason = f"Your model could not be read as a graph ({type(error).__name__}: {error}). Start it with keras.Input."
        reused = self.spec.get("reuses")
        if not reason and reused:
            if given_layers is None:
                reason = (
                    f"This question builds on {reused}, made in the cells above, and there is no model called {reused} "
                    "in your notebook: run those cells, then check again."
                )
            else:
                theirs = layers_at(reference, given_layer_paths(reference, namespace[reused]) or [])
                reason = reuse_difference(model, reference, given_layers, theirs, reused)
        if reason:
            return self.outcome(INCORRECT, reason)
        return self.outcome(
            CORRECT, "Same inputs, outputs, layers and connections as the reference, and the same results with its weights."
        )

    def _judge_value(self, value: Any) -> Outcome:
        if value is Ellipsis or value is None:
            return self.outcome(NOT_ATTEMPTED, f"Set {self.name} in the cell above, run it, then check again.")
        expected = self.exercise.reference_namespace(self.question)[self.name]
        choices = self.spec.get("choices")
        if choices and value not in choices and not (isinstance(value, str) and value.strip().lower() in map(str.lower, map(str, choices))):
            return self.outcome(INCORRECT, f"{self.name} should be one of {', '.join(map(repr, choices))}.")
        reason = _compare_values(self.name, value, expected)
        if reason and choices:
            reason = f"{self.name} is not the answer: read each option once more."
        if reason:
            return self.outcome(INCORRECT, reason)
        return self.outcome(CORRECT, f"{self.name} is right.")

    def outcome(self, status: str, message: str) -> Outcome:
        """An outcome of this question; a wrong or failed answer also points to the hints, if any.

        The grader words its own verdicts (a model it refused to load) with it, as ``check()`` does.

        Example:
            >>> q1.outcome("incorrect", "Not yet.").message   # doctest: +SKIP
            'Not yet.\nStuck? Call q1.hint().'
        """
        if status in (INCORRECT, ERROR) and self.spec.get("hints"):
            message += f"\nStuck? Call {self.question}.hint()."
        return Outcome(self.question, status, message)

    # ------------------------------------------------------- hint, solution
    def hint(self, level: int = 1) -> Shown:
        """Hint number ``level`` (1 is the gentlest)."""
        hints = list(self.spec.get("hints", []))
        if not hints:
            return Shown(f"{self.question} · no hint", "This question has no hints; the solution is one call away.")
        level = max(1, min(int(level), len(hints)))
        more = f"\n(For another hint, call {self.question}.hint({level + 1}).)" if level < len(hints) else ""
        return Shown(f"{self.question} · hint {level} of {len(hints)}", hints[level - 1] + more)

    def solution(self) -> Shown:
        """The answer, read from the solution notebook's marked region."""
        return Shown(f"{self.question} · solution", region_text(self.cell.source), is_code=True)

    def __repr__(self) -> str:
        return f"{self.question}: {self.spec.get('title', self.name)} (check with {self.question}.check())"


# ----------------------------------------------------------------- helpers
@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Run reference code without printing or showing figures in the learner's notebook."""
    import matplotlib.pyplot as plt

    show = plt.show
    plt.show = lambda *args, **kwargs: None  # type: ignore[assignment]
    tf_logger = logging.getLogger("tensorflow")  # its handler keeps the original stderr
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        plt.show = show  # type: ignore[assignment]
        plt.close("all")
        tf_logger.setLevel(level)


def given_layer_paths(model: Any, given: Any) -> list[str] | None:
    """Paths ("name", or "submodel/name") of the layers of ``model`` that are layers of ``given``.

    None when ``given`` is not a Keras model. The classroom grader records these in the
    learner's kernel, where the layer objects live, and finds them again by path in the
    model it rebuilds from the exported config.

    Example:
        >>> given_layer_paths(keras.Model(stack.input, stack.get_layer("hidden_1").output), stack)   # doctest: +SKIP
        ['hidden_1']
    """
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(given, keras.Model) or not isinstance(model, keras.Model):
        return None
    own = {id(layer) for layer in given._flatten_layers(include_self=False, recursive=True)}
    return [path for path, layer in _layer_paths(model) if id(layer) in own]


def _layer_paths(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, layer) for every layer of ``model``, sub-models' layers included."""
    import keras

    found = []
    for layer in model._flatten_layers(include_self=False, recursive=False):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        path = prefix + layer.name
        found.append((path, layer))
        if isinstance(layer, keras.Model):
            found.extend(_layer_paths(layer, path + "/"))
    return found


def layers_at(model: Any, paths: list[str]) -> set[int]:
    """ids of the layers of ``model`` at the given paths (paths that name nothing are ignored)."""
    wanted = set(paths)
    return {id(layer) for path, layer in _layer_paths(model) if path in wanted}


def _role(cell: Any) -> str:
    return str(cell.get("metadata", {}).get("course", {}).get("role", ""))


def _learner_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        get_ipython = None  # type: ignore[assignment]
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        return shell.user_ns
    return vars(sys.modules["__main__"])


def _learner_error(error: BaseException) -> str:
    """Their exception and their line – frames inside course_utils and Keras are left out."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_learner_file(f.filename)]
    where = ""
    if frames:
        frame = frames[-1]
        line = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
        where = f"\nin {frame.name}, line {frame.lineno}: {line}"
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}{where}"


def _is_learner_file(filename: str) -> bool:
    return "site-packages" not in filename and str(_PACKAGE) not in filename and "<frozen" not in filename


def _compare_values(name: str, value: Any, expected: Any) -> str | None:
    if isinstance(expected, tuple):
        if not isinstance(value, (tuple, list)):
            return f"{name} should be a shape written as a tuple, like (None, 3); it is a {type(value).__name__}."
        value = tuple(value)
        batch = " including the batch axis (None)" if expected and expected[0] is None else ""
        if len(value) != len(expected):
            return f"{name} has {len(value)} dimensions; count the axes again,{batch or ' one per axis'}."
        if value != expected:
            wrong = next(i for i, (a, b) in enumerate(zip(value, expected)) if a != b)
            return f"Axis {wrong} of {name} is not right: work out that axis once more, step by step."
        return None
    if isinstance(expected, (int, float, np.number)) and not isinstance(expected, bool):
        if not isinstance(value, (int, float, np.number)) or isinstance(value, bool):
            return f"{name} should be a number; it is a {type(value).__name__}."
        if not np.isclose(float(value), float(expected), rtol=1e-3, atol=1e-6):
            direction = "too high" if float(value) > float(expected) else "too low"
            return f"{name} is {direction}: work it out again step by step."
        return None
    if isinstance(expected, str):
        if not isinstance(value, str) or value.strip().lower() != expected.strip().lower():
            return f"{name} is not the answer: look again at the results above."
        return None
    if value != expected:
        return f"{name} is not the answer yet."
    return None
