"""Classroom grading: one command grades a folder of submitted exercise notebooks.

The grader uses exactly the checks behind ``q1.check()``: ``Problem.produce`` runs in
the learner's kernel (it calls their builder, or reads their value) and
``Problem.judge`` runs in the grading process, on data the grader deserialised
itself. Nothing a notebook prints counts.

Modules, one job each:

* :mod:`~course_utils.grade.discover` – find submissions (``.ipynb``, ``.zip``), name the
  student, tell which exercise a notebook is;
* :mod:`~course_utils.grade.restore` – put back the given cells (setup, context, checks, progress)
  from the handout, logging every repair;
* :mod:`~course_utils.grade.export` – the code that runs after the learner's cells and
  exports each answer as data, and the grader's reader for it;
* :mod:`~course_utils.grade.execute` – run one notebook in its own kernel with a cell
  timeout, a wall-clock limit and a memory watchdog;
* :mod:`~course_utils.grade.pipelines` – the preamble each kernel runs first: Keras' array
  pipelines without tf.data's autotuner (same numbers, less CPU);
* :mod:`~course_utils.grade.score` – rebuild exported models in Keras safe mode and judge
  every answer with the course's checks;
* :mod:`~course_utils.grade.job` – one submission from restore to scored result (what a
  worker runs, locally or on Dask);
* :mod:`~course_utils.grade.gradebook` – ``gradebook.csv``, feedback files, the log, the
  cache of finished results; every file written atomically;
* :mod:`~course_utils.grade.report` – ``report.html``, the class at a glance: totals,
  per-question shares and wrong-answer reasons, run statuses, students;
* :mod:`~course_utils.grade.cli` – ``python -m course_utils.grade SUBMISSIONS --out OUT``.

Example:
    >>> from course_utils.grade.cli import main
    >>> main(["submissions/", "--out", "gradebook/", "--workers", "2"])   # doctest: +SKIP
    graded 31 submission(s) of ex01_sequential: 29 ok, 1 timeout, 1 unreadable
    0
"""

from __future__ import annotations

import sys

__all__ = ["GRADER_VERSION"]

# nbformat imports jsonschema, whose format checkers import ``rfc3987_syntax`` when it is
# installed (Jupyter pulls it in); that module builds ~35 IRI grammars at import time,
# about 2 s of CPU in the grading process and again in every worker it starts
# (python-jsonschema/jsonschema#1428). Notebook schemas use no string formats, so the
# grader's processes do without that checker. Nothing else is affected.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

#: Part of every cached result's fingerprint: bump it when a change must re-grade everything.
GRADER_VERSION = "1"
