"""Export each answer from the learner's kernel as data, and read it back in the grader.

After the learner's cells have run, the grader sends one *export cell* per question
(:func:`cell_source`). It is written to trust the kernel as little as it can:

* it runs in its own globals with the real ``builtins``, so names the learner defined
  (``list = …``, ``json = …``) do not reach it, and takes their answer from the user
  namespace by name;
* it loads a private copy of ``course_utils/checks/problems.py`` from the file, so a
  monkeypatched ``Problem`` in the kernel is not the one that runs, and calls its
  ``Problem.produce`` (the code behind ``q1.check()``) with the handout's question spec;
* it writes data only – a model's JSON config and its weights (``.npz``), for a question
  that ``reuses`` a given model the paths of the answer's layers that are that model's
  own (:func:`~course_utils.checks.problems.given_layer_paths`), a value as
  tagged JSON, or what went wrong (the exception's type and message) – to a directory
  and a file name with a random nonce that the grader chose when the cell was sent.

The grader never takes a verdict from the kernel: :func:`read_record` accepts only
the data kinds below, and :mod:`course_utils.grade.score` judges them itself. Record
kinds: ``model``, ``value``, ``object`` (an answer of a type that is not data, by type
name), ``missing`` (not set), ``returned_nothing``, ``not_callable``, ``raised``,
``unsaveable`` (a model without a config) and ``failed`` (the export itself broke).

Example:
    >>> source = cell_source({"question": "q1", "kind": "model", "name": "build_model"},
    ...                      nonce="ab12", directory=Path("/tmp/x"))
    >>> "ab12" in source and "produce" in source
    True
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MAX_PARAMETERS", "MAX_RECORD_BYTES", "MAX_WEIGHTS_BYTES", "Record", "cell_source", "decode_value", "problems_file", "read_record"]

MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_WEIGHTS_BYTES = 256 * 1024 * 1024
#: Models with more parameters are neither exported with their weights nor rebuilt by
#: the grader (a few bytes of config could otherwise ask it for gigabytes of weights).
MAX_PARAMETERS = 20_000_000
KINDS = {"model", "value", "object", "missing", "returned_nothing", "not_callable", "raised", "unsaveable", "failed"}


def problems_file() -> Path:
    """The checks' source file that the export cell loads a private copy of."""
    import course_utils  # the path only: importing the checks would pull in Keras

    return Path(course_utils.__file__).resolve().parent / "checks" / "problems.py"


@dataclass
class Record:
    """What the kernel exported for one question (validated; weights already loaded)."""

    question: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    weights: list[np.ndarray] | None = None


# The export code. It runs in a fresh globals dict; USER is the learner's namespace.
_EXPORT = r'''
import builtins, importlib.util, json, math, os, sys, types

def _encode(value, depth=0):
    if depth > 20:
        raise ValueError("nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2 ** 63 else float(value)
    if isinstance(value, float):
        return {"__float__": repr(value)} if not math.isfinite(value) else value
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [_encode(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": [[k, _encode(v, depth + 1)] for k, v in value.items()]}
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return _encode(value.item(), depth + 1)
    if numpy is not None and isinstance(value, numpy.ndarray) and value.size <= 100000:
        return {"__ndarray__": _encode(value.tolist(), depth + 1), "dtype": str(value.dtype)}
    raise TypeError("not data")

def _export(spec, nonce, directory, problems_file, user):
    question, name = spec["question"], spec["name"]
    base = os.path.join(directory, nonce + "-" + question)
    record = {"question": question, "nonce": nonce}
    try:
        module_name = "_course_grader_problems_" + nonce
        loader = importlib.util.spec_from_file_location(module_name, problems_file)
        problems = importlib.util.module_from_spec(loader)
        sys.modules[module_name] = problems  # dataclasses look their module up while the file runs
        try:
            loader.loader.exec_module(problems)
        finally:
            sys.modules.pop(module_name, None)
        problem = problems.Problem(None, types.SimpleNamespace(metadata={"course": spec}, source=""))
        answer = user.get(name, Ellipsis)
        produced = problem.produce(answer)
        if isinstance(produced, problems.Outcome):
            if produced.status == problems.NOT_ATTEMPTED:
                record["kind"] = "missing" if answer is Ellipsis or answer is None else "returned_nothing"
            elif produced.status == problems.ERROR:
                record["kind"], record["text"] = "raised", produced.message[:2000]
            elif produced.status == problems.INCORRECT and spec["kind"] == "model" and not callable(answer):
                record["kind"], record["type"] = "not_callable", type(answer).__name__[:100]
            else:
                record["kind"], record["text"] = "failed", "the checks returned " + str(produced.status)[:100]
        elif spec["kind"] == "model":
            keras = sys.modules.get("keras")
            if keras is None or not isinstance(produced, keras.Model):
                record["kind"], record["type"] = "object", type(produced).__name__[:100]
            else:
                try:
                    record["config"] = produced.to_json()
                except BaseException as error:
                    record["kind"], record["type"] = "unsaveable", type(error).__name__[:100]
                    record["text"] = str(error)[:500]
                else:
                    record["kind"] = "model"
                    if spec.get("reuses"):  # which of the given model's own layers the answer calls
                        record["reused"] = problems.given_layer_paths(produced, user.get(spec["reuses"]))
                    if produced.count_params() <= MAX_PARAMETERS:
                        numpy = sys.modules["numpy"]
                        with builtins.open(base + ".npz.part", "wb") as stream:
                            numpy.savez(stream, *produced.get_weights())
                        os.replace(base + ".npz.part", base + ".npz")
                        record["weights"] = nonce + "-" + question + ".npz"
        else:
            try:
                record["value"] = _encode(produced)
                record["kind"] = "value"
            except (TypeError, ValueError, OverflowError, RecursionError):
                record["kind"], record["type"] = "object", type(produced).__name__[:100]
    except BaseException as error:  # KeyboardInterrupt too: the grader times the cell itself
        record = {"question": question, "nonce": nonce, "kind": "failed",
                  "text": type(error).__name__ + ": " + str(error)[:500]}
    text = json.dumps(record, allow_nan=False)
    with builtins.open(base + ".json.part", "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(base + ".json.part", base + ".json")

_export(SPEC, NONCE, DIRECTORY, PROBLEMS_FILE, USER)
'''


def cell_source(spec: dict[str, Any], *, nonce: str, directory: Path, problems: Path | None = None) -> str:
    """The source of the export cell for one question (``spec`` is the handout's ``metadata.course``).

    The cell hands the export code to ``exec`` with fresh globals; only ``globals()``
    (the learner's namespace, where their answer lives) comes from the kernel.
    """
    constants = {
        "SPEC": {key: spec[key] for key in ("question", "kind", "name", "reuses") if key in spec},
        "NONCE": nonce,
        "DIRECTORY": str(directory),
        "PROBLEMS_FILE": str(problems or problems_file()),
        "MAX_PARAMETERS": MAX_PARAMETERS,
    }
    assignments = "".join(f"{key} = {json.dumps(value)}\n" for key, value in constants.items())
    program = assignments + _EXPORT
    return (
        "__import__('builtins').exec(__import__('builtins').compile("
        f"{json.dumps(program)}, '<course grader export>', 'exec'), "
        "{'__builtins__': __import__('builtins'), '__name__': '__course_grader__', 'USER': globals()})"
    )


def read_record(directory: Path, nonce: str, question: str) -> Record | None:
    """The record the export cell wrote for ``question``, validated; None if there is none.

    Files are opened without following links, must be regular and small enough; the
    weights are loaded with ``allow_pickle=False``. Anything odd becomes a ``failed``
    record rather than an exception.
    """
    raw = _read_file(Path(directory) / f"{nonce}-{question}.json", MAX_RECORD_BYTES)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return Record(question, "failed", {"text": "the exported record is not valid JSON"})
    if not isinstance(data, dict) or data.get("nonce") != nonce or data.get("question") != question:
        return Record(question, "failed", {"text": "the exported record does not belong to this export"})
    kind = data.get("kind")
    if kind not in KINDS:
        return Record(question, "failed", {"text": f"unknown record kind {str(kind)[:40]!r}"})
    for key in ("text", "type", "config"):
        if key in data and not isinstance(data[key], str):
            return Record(question, "failed", {"text": f"the record's {key} is not text"})
    reused = data.get("reused")
    if reused is not None and not (isinstance(reused, list) and len(reused) <= 10_000 and all(isinstance(p, str) and len(p) <= 1000 for p in reused)):
        return Record(question, "failed", {"text": "the record's list of reused layers is not a list of names"})
    record = Record(question, kind, {k: v for k, v in data.items() if k not in ("nonce", "question", "kind")})
    if kind == "model":
        if not isinstance(data.get("config"), str):
            return Record(question, "failed", {"text": "the exported model has no config"})
        weights_name = data.get("weights")
        if weights_name is not None:
            if weights_name != f"{nonce}-{question}.npz":
                return Record(question, "failed", {"text": "the exported weights file is not the expected one"})
            record.weights = _read_weights(Path(directory) / weights_name)
    return record


def _read_file(path: Path, limit: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError:
        return b'"not a regular file"'
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return b'"too large or not a regular file"'
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                return b'"too large"'
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_weights(path: Path) -> list[np.ndarray] | None:
    raw = _read_file(path, MAX_WEIGHTS_BYTES)
    if raw is None:
        return None
    try:
        import io

        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = [archive[f"arr_{i}"] for i in range(len(archive.files))]
    except Exception:  # a broken or hostile archive: judge the config alone
        return None
    if any(array.dtype.kind not in "fiub" for array in arrays):
        return None
    return arrays


def decode_value(value: Any, depth: int = 0) -> Any:
    """Undo the export's JSON tags: tuples, dicts, non-finite floats and small arrays.

    Example:
        >>> decode_value({"__tuple__": [5, 3]})
        (5, 3)
    """
    if depth > 25:
        raise ValueError("nested too deeply")
    if isinstance(value, list):
        return [decode_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"} and isinstance(value["__tuple__"], list):
            return tuple(decode_value(v, depth + 1) for v in value["__tuple__"])
        if set(value) == {"__float__"} and value["__float__"] in ("nan", "inf", "-inf"):
            return float(value["__float__"])
        if set(value) == {"__dict__"} and isinstance(value["__dict__"], list):
            return {str(k): decode_value(v, depth + 1) for k, v in value["__dict__"]}
        if set(value) == {"__ndarray__", "dtype"}:
            dtype = np.dtype(str(value["dtype"]))
            if dtype.kind not in "fiub":
                raise ValueError("unsupported array type")
            return np.asarray(decode_value(value["__ndarray__"], depth + 1), dtype=dtype)
        raise ValueError("unknown tagged value")
    return value
