"""One submission: run it in a worker, then judge it in the grading process.

A :class:`Job` is plain data (picklable, small), so the same :func:`run` serves a
local ``concurrent.futures`` process pool and a Dask cluster. A worker checks that its
course files are the grader's (:func:`fingerprint`), runs the restored notebook in
its own kernel (:mod:`~course_utils.grade.execute`) and sends back only the exported
data. :func:`finish` then judges that data in the grading process itself
(:mod:`~course_utils.grade.score`), where no learner code ever ran; the workers need
no TensorFlow of their own, and a kernel that kills its parent only takes down a
worker, which the pool replaces.

:func:`start_warming` imports Keras and computes the exercise's references in a
background thread while the first kernels run, so judging does not wait for them.

Example:
    >>> executed = run(job)                       # in a worker   # doctest: +SKIP
    >>> result = finish(job, executed)            # in the grader # doctest: +SKIP
    >>> result["status"], result["total"], result["max"]
    ('ok', 4.0, 4.0)
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_utils.grade import GRADER_VERSION
from course_utils.grade.execute import Limits, execute
from course_utils.locations import exercises_folder, solutions_folder

__all__ = ["Job", "finish", "fingerprint", "handout_path", "run", "start_warming"]

_WARMING: dict[str, threading.Thread] = {}
_WARMING_LOCK = threading.Lock()


def handout_path(name: str) -> Path:
    """The handout of exercise ``name``, in the installed package or the checkout (:mod:`course_utils.locations`)."""
    return exercises_folder() / f"{name}.ipynb"


def fingerprint(name: str) -> str:
    """A hash of everything a verdict on exercise ``name`` depends on.

    The grader version, the exercise's handout and solution, and the source of the
    checks and of this package (the helpers they import only word the messages). A cached result with another fingerprint is re-graded.

    Example:
        >>> len(fingerprint("ex01_sequential"))
        64
    """
    package = Path(__file__).resolve().parent.parent
    files = {f"exercises/{name}.ipynb": handout_path(name), f"solutions/{name}.ipynb": solutions_folder() / f"{name}.ipynb"}
    for module in sorted((package / "checks").glob("*.py")) + sorted((package / "grade").glob("*.py")):
        files[module.relative_to(package.parent).as_posix()] = module
    # Named by their place in the course, not on this disk: a checkout and an installed
    # course with the same files have the same fingerprint.
    digest = hashlib.sha256(GRADER_VERSION.encode())
    for label, path in files.items():
        digest.update(label.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission (the notebook already restored)."""

    student: str
    file: str
    sha256: str
    exercise: str
    notebook: str  # restored notebook, as JSON text
    questions: list[dict[str, Any]]  # the handout's answer specs, in order
    limits: Limits
    fingerprint: str
    repairs: list[str] = field(default_factory=list)


def start_warming(name: str) -> None:
    """Begin importing Keras and computing ``name``'s references in a background thread (once per process)."""
    from course_utils.grade.score import warm_up

    with _WARMING_LOCK:
        if name not in _WARMING:
            thread = threading.Thread(target=_quiet_warm_up, args=(warm_up, name), daemon=True, name=f"warm-{name}")
            _WARMING[name] = thread
            thread.start()


def _quiet_warm_up(warm_up: Any, name: str) -> None:
    try:
        warm_up([name])
    except Exception:  # judging will compute (and report) whatever failed here
        pass


def run(job: Job) -> dict[str, Any]:
    """Run one submission's notebook and export its answers (in a worker; no judging here).

    Raises only for grader failures (no kernel could start, course files differ).
    """
    if fingerprint(job.exercise) != job.fingerprint:
        raise RuntimeError(
            "this worker's course files (checks, exercises, solutions or grader) differ from the grader's; "
            "install the same version of the course on every worker"
        )
    notebook = nbformat.reads(job.notebook, as_version=4)
    execution = execute(notebook, job.questions, job.limits)
    tampered = fingerprint(job.exercise) != job.fingerprint
    return {
        "status": execution.status,
        "records": execution.records,
        "missing": execution.missing,
        "events": execution.events,
        "kernel_runtime": execution.runtime,
        "peak_memory_mb": execution.peak_memory_mb,
        "tampered": tampered,
    }


def finish(job: Job, executed: dict[str, Any]) -> dict[str, Any]:
    """Judge what :func:`run` exported, here in the grading process; the result row as plain data."""
    from course_utils.grade.score import score

    thread = _WARMING.get(job.exercise)
    if thread is not None:
        thread.join()
    questions = score(job.exercise, executed["records"], executed["missing"])
    status = executed["status"]
    events = list(executed["events"])
    if executed.get("tampered") or fingerprint(job.exercise) != job.fingerprint:
        status = "grader error"
        events.append({"event": "tampering", "detail": "course files changed on disk while this notebook ran"})
        for result in questions:
            result.points, result.status = 0.0, "your code raised"
            result.message = "Your notebook changed the course's files while it was graded; it was not scored."
    if any(note.startswith("grader error") for q in questions for note in q.notes):
        status = "grader error"
    return {
        "student": job.student,
        "file": job.file,
        "sha256": job.sha256,
        "exercise": job.exercise,
        "status": status,
        "questions": [q.to_dict() for q in questions],
        "total": sum(q.points for q in questions),
        "max": sum(q.max_points for q in questions),
        "repairs": list(job.repairs),
        "events": events,
        "runtime": executed["kernel_runtime"],
        "peak_memory_mb": executed["peak_memory_mb"],
        "fingerprint": job.fingerprint,
    }
