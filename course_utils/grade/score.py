"""Judge exported answers in the grading process, with the checks behind ``q1.check()``.

Every exported record becomes an :class:`~course_utils.checks.Outcome` through the
same :class:`~course_utils.checks.Problem` methods the notebook uses:

* a model config is vetted (Keras' own modules only; no ``Lambda``, no registered
  custom objects), rebuilt with ``keras.saving.deserialize_keras_object(...,
  safe_mode=True)``, given its exported weights and passed to ``Problem.judge``;
* a value is decoded from JSON and passed to ``Problem.judge``;
* "not set", "returned nothing" and "not a function" go through ``Problem.produce``
  with a stand-in, so the messages are the notebook's own;
* an answer of a type that is not data is judged as a stand-in object of the same
  type name ("…but it returned a Dense");
* a learner's exception keeps its type, first line and their line of code.

No verdict comes from the kernel, and no learner code is loaded here. Keras keeps
global state, so judging is serialised with a process-wide lock; references are
computed once per process and exercise (:func:`warm_up` does it ahead of time).

Example:
    >>> results = score("ex01_sequential", records, missing={})   # doctest: +SKIP
    >>> results[0].status, results[0].points
    ('correct', 1.0)
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from course_utils.checks.outcomes import CORRECT, ERROR, INCORRECT, Outcome
from course_utils.checks.problems import Exercise, Problem, layers_at, exercise
from course_utils.grade.export import MAX_PARAMETERS, Record, decode_value

__all__ = ["QuestionResult", "UnsafeModel", "load_exercise", "rebuild_model", "score", "warm_up"]

_LOCK = threading.RLock()
_EXERCISES: dict[str, Exercise] = {}
_ALLOWED_MODULES = (
    "keras.layers",
    "keras.initializers",
    "keras.regularizers",
    "keras.constraints",
    "keras.activations",
    "keras.models",
    "keras.src.models.functional",
    "keras.src.models.sequential",
    "keras.src.models.model",
    "keras.src.layers",
    "keras.src.ops",
    "keras.ops",
)
_REFUSED_CLASSES = {"Lambda", "TFSMLayer"}
#: Layer calls a rebuilt model may have. Keras rebuilds a config at roughly 2–3 ms per
#: call, and an exported config may be 8 MB (some 13,000 small layers): without a cap
#: one forged answer could hold up judging for minutes. The exercises' 25 reference models
#: have at most 14.
MAX_LAYER_CALLS = 1_000
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class UnsafeModel(ValueError):
    """A model config the grader refuses to load, with a sentence for the learner."""


@dataclass
class QuestionResult:
    """One question's verdict: the notebook's own status and message, and the points."""

    question: str
    title: str
    status: str
    message: str
    points: float
    max_points: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_exercise(name: str) -> Exercise:
    """The exercise, read once per process from the course's solutions/ folder."""
    with _LOCK:
        if name not in _EXERCISES:
            _EXERCISES[name] = exercise(name)
        return _EXERCISES[name]


def warm_up(names: list[str]) -> None:
    """Import Keras and compute every reference of ``names`` now, so the first judgement is quick.

    Example:
        >>> warm_up(["ex01_sequential"])   # doctest: +SKIP
    """
    from course_utils.grade.pipelines import skip_autotuning
    from course_utils.training import reset

    skip_autotuning()  # imports Keras; references train as in the kernels, only faster

    for name in names:
        with _LOCK:
            problems = load_exercise(name).questions
        for problem in problems:
            with _LOCK:
                namespace = problem.exercise.reference_namespace(problem.question)
                if problem.spec.get("kind") == "model" and callable(namespace.get(problem.name)):
                    reset(0)
                    namespace[problem.name]()


def _vet(node: Any, depth: int = 0) -> None:
    if depth > 60:
        raise UnsafeModel("Your model's saved config is nested too deeply to be read.")
    if isinstance(node, list):
        for item in node:
            _vet(item, depth + 1)
        return
    if not isinstance(node, dict):
        return
    if "class_name" in node and "module" in node:
        module, name = node.get("module"), str(node.get("class_name"))
        if name in _REFUSED_CLASSES:
            raise UnsafeModel(
                f"Your model uses a {name} layer, which carries Python code: the grader does not load such "
                "layers. Use Keras layers (layers.Add, layers.Concatenate, ...) instead."
            )
        registered = node.get("registered_name")
        allowed = module is None or module == "keras" or any(
            isinstance(module, str) and (module == prefix or module.startswith(prefix + ".")) for prefix in _ALLOWED_MODULES
        )
        if not allowed or (isinstance(registered, str) and ">" in registered):
            raise UnsafeModel(
                f"Your model uses {name}, which is not one of Keras' own layers: the grader only rebuilds "
                "models made of Keras layers."
            )
    for value in node.values():
        _vet(value, depth + 1)


def rebuild_model(config_text: str, weights: list[Any] | None = None) -> tuple[Any, list[str]]:
    """A Keras model rebuilt from its exported JSON config in safe mode, and notes on the weights.

    Raises :class:`UnsafeModel` with a sentence for the learner when the config cannot
    or may not be loaded.

    Example:
        >>> model, notes = rebuild_model(learner_model.to_json(), learner_model.get_weights())   # doctest: +SKIP
    """
    import keras

    try:
        config = json.loads(config_text)
    except (json.JSONDecodeError, RecursionError):
        raise UnsafeModel("Your model's saved config could not be read.") from None
    if not isinstance(config, dict):
        raise UnsafeModel("Your model's saved config could not be read.")
    _vet(config)
    calls = _layer_calls(config)
    if calls > MAX_LAYER_CALLS:
        raise UnsafeModel(
            f"Your model is made of {calls:,} layer calls; the grader rebuilds models of up to {MAX_LAYER_CALLS:,}. "
            "This exercise's model needs far fewer: check how many layers your code adds."
        )
    try:
        parameters = _parameter_count(config)
        if parameters > MAX_PARAMETERS:
            raise UnsafeModel(
                f"Your model has {parameters:,} parameters; the grader rebuilds models of up to {MAX_PARAMETERS:,}. "
                "This exercise's model needs far fewer: check the sizes you gave your layers."
            )
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except UnsafeModel:
        raise
    except Exception as error:  # Keras raises many kinds for configs it cannot rebuild
        first = (str(error).strip().splitlines() or [""])[0][:300]
        raise UnsafeModel(
            f"The grader could not rebuild your model from its saved config ({type(error).__name__}: {first}). "
            "Build it from keras.Input and Keras layers."
        ) from None
    if not isinstance(model, keras.Model):
        raise UnsafeModel(f"Your answer's saved config is a {type(model).__name__}, not a keras.Model.")
    notes = []
    if weights is None:
        notes.append("weights not exported; judged on the config alone")
    else:
        try:
            model.set_weights(weights)
        except Exception as error:  # the checks copy the reference weights anyway
            notes.append(f"exported weights did not fit ({type(error).__name__})")
    return model, notes


def _layer_calls(config: Any) -> int:
    """How many layer calls a model config describes, nested models included.

    Each entry of a ``"layers"`` list counts once per call (its ``inbound_nodes``), at
    least once.

    Example:
        >>> _layer_calls(json.loads(keras.Sequential([keras.Input((8,)), layers.Dense(3)]).to_json()))   # doctest: +SKIP
        2
    """
    calls, stack = 0, [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            layers = node.get("layers")
            if isinstance(layers, list):
                for layer in layers:
                    inbound = layer.get("inbound_nodes") if isinstance(layer, dict) else None
                    calls += max(1, len(inbound) if isinstance(inbound, list) else 0)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return calls


def _parameter_count(config: dict[str, Any]) -> int:
    """How many parameters the model of ``config`` has, counted without allocating its weights.

    Inside a ``keras.StatelessScope`` Keras only records each new variable's shape and
    initializer; the variables are dropped again without ever being initialised.

    Example:
        >>> _parameter_count(json.loads(keras.Sequential([keras.Input((8,)), layers.Dense(3)]).to_json()))   # doctest: +SKIP
        27
    """
    import keras
    from keras.src.backend.common import global_state

    pending = list(global_state.get_global_attribute("uninitialized_variables", None) or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            # a copy: deserialising consumes the config's dicts
            model = keras.saving.deserialize_keras_object(copy.deepcopy(config), safe_mode=True)
            return sum(math.prod(variable.shape) for variable in model.weights)
    finally:
        global_state.set_global_attribute("uninitialized_variables", pending)


def _stand_in(type_name: str) -> Any:
    """An object whose type has the learner's answer's type name, for the type-based messages."""
    name = type_name if _IDENTIFIER.fullmatch(type_name or "") else "object"
    return type(name, (), {"__module__": "submission"})()


def _clean(text: str, limit: int = 600) -> str:
    text = _CONTROL.sub("", text).strip()
    lines = text.splitlines()[:3]
    return "\n".join(line[:limit] for line in lines)[: limit * 2]


def judge_record(problem: Problem, record: Record) -> tuple[Outcome, list[str]]:
    """The outcome of one exported record, and notes for the log."""
    from course_utils.training import reset

    kind, data = record.kind, record.data
    with _LOCK:
        if kind == "missing":
            return problem.produce(Ellipsis), []
        if kind == "returned_nothing":
            return problem.produce(lambda: None), []
        if kind == "not_callable":
            return problem.produce(_stand_in(str(data.get("type", "object")))), []
        if kind == "object":
            return problem.judge(_stand_in(str(data.get("type", "object")))), []
        if kind == "raised":
            text = str(data.get("text", "")).split("\nStuck? Call", 1)[0]
            text = _clean(text) or "Exception: (no message)"
            if not re.match(r"[A-Za-z_][\w.]*:", text):
                text = "Exception: " + text
            return problem.outcome(ERROR, text), []
        if kind == "unsaveable":
            detail = _clean(f"{data.get('type', 'Error')}: {data.get('text', '')}", 300).splitlines()[0]
            return problem.outcome(INCORRECT, f"Your model could not be read as a graph ({detail}). Start it with keras.Input."), []
        if kind == "value":
            try:
                value = decode_value(data.get("value"))
            except (ValueError, TypeError):
                return Outcome(problem.question, ERROR, "The grader could not read the value you set."), []
            return problem.judge(value), []
        if kind == "model":
            reset(0)
            try:
                model, notes = rebuild_model(str(data.get("config", "")), record.weights)
            except UnsafeModel as refused:
                return problem.outcome(INCORRECT, str(refused)), ["model refused"]
            given_layers = None
            if problem.spec.get("reuses") and isinstance(data.get("reused"), list):
                given_layers = layers_at(model, [str(path) for path in data["reused"]])
            return problem.judge(model, given_layers=given_layers), notes
        detail = _clean(str(data.get("text", "")), 300)
        return (
            Outcome(
                problem.question,
                ERROR,
                f"The grader could not export this answer from your notebook ({detail}). "
                "Run your notebook top to bottom and check that the answer cell runs.",
            ),
            ["export failed"],
        )


def score(
    exercise_name: str, records: Mapping[str, Record | None], missing: Mapping[str, str]
) -> list[QuestionResult]:
    """Judge every question of the exercise.

    ``records`` maps questions to what the kernel exported; ``missing`` maps the
    questions that could not be exported to the reason (kernel died, time limit…),
    which becomes an error outcome worth no points. A question in neither is an error
    too: no answer is ever passed for lack of evidence.
    """
    results = []
    for problem in load_exercise(exercise_name).questions:
        record = records.get(problem.question)
        notes: list[str] = []
        if problem.question in missing:
            outcome = Outcome(problem.question, ERROR, missing[problem.question])
        elif record is None:
            outcome = Outcome(problem.question, ERROR, "No answer was exported from your notebook for this question.")
        else:
            try:
                outcome, notes = judge_record(problem, record)
            except Exception as error:  # a checks bug must cost the learner nothing silently: say so
                outcome = Outcome(problem.question, ERROR, "The grader failed on this answer; your teacher has been told.")
                notes = [f"grader error: {type(error).__name__}: {str(error)[:300]}"]
        maximum = float(problem.spec.get("points", 1))
        results.append(
            QuestionResult(
                question=problem.question,
                title=str(problem.spec.get("title", problem.name)),
                status=outcome.status,
                message=outcome.message,
                points=maximum if outcome.status == CORRECT else 0.0,
                max_points=maximum,
                notes=notes,
            )
        )
    return results
