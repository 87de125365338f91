"""``python -m course_utils.grade SUBMISSIONS --out OUT``: grade a folder of notebooks.

The steps, per run:

1. find every ``.ipynb`` (and every notebook inside ``.zip`` bundles) under SUBMISSIONS,
   read it (a broken file becomes a row with status ``unreadable``), name the student,
   and tell which exercise it is (``--exercise``, or the one most submissions are);
   a notebook of another exercise becomes a row with status ``wrong exercise``;
2. skip submissions already graded with the same content (sha256) and course files,
   unless ``--force``; the same content submitted twice is run once;
3. restore the handed-out cells, then run each submission in its own kernel on a
   ``concurrent.futures`` process pool (``--workers``) or on a Dask cluster
   (``--dask-scheduler``), and judge its exported answers;
4. write ``gradebook.csv``, ``feedback/<student>.md``, the class report ``report.html``,
   ``grading_log.jsonl`` and the result cache as each submission finishes (atomically).

The exit status is 0 when every submission was graded (whatever the students'
results), 1 when the grader failed on some submission, 2 for a usage error.

Example:
    >>> main(["submissions", "--out", "gradebook", "--workers", "2"])   # doctest: +SKIP
    [1/2] alice        4/4  ok            21.3 s
    [2/2] bob          1/4  timeout       48.0 s
    graded 2 submission(s) of ex01_sequential into gradebook: 1 ok, 1 timeout
    0
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nbformat

from course_utils.grade import GRADER_VERSION
from course_utils.grade.discover import Submission, Unreadable, discover, identify, read_notebook, safe_name, student_of
from course_utils.grade.execute import Limits
from course_utils.grade.gradebook import Log, ResultStore, write_feedback, write_gradebook
from course_utils.grade.job import Job, finish, fingerprint, run, start_warming
from course_utils.grade.report import write_report
from course_utils.locations import exercises_folder, solutions_folder
from course_utils.grade.restore import course_of, restore
from course_utils.terminal import quiet_when_cut_short

__all__ = ["GraderFailure", "Summary", "grade", "main"]

_MAX_POOL_BREAKS = 3


class GraderFailure(RuntimeError):
    """The grader cannot run at all (bad arguments, no such exercise…): exit status 2."""


@dataclass
class Summary:
    """What a run did: rows by status, how many ran and how many came from the cache."""

    exercise: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    ran: int = 0
    cached: int = 0

    @property
    def grader_errors(self) -> int:
        return sum(1 for row in self.rows if row["status"] == "grader error")

    def counts(self) -> Counter[str]:
        return Counter(row["status"] for row in self.rows)


def known_exercises() -> dict[str, nbformat.NotebookNode]:
    """Handouts that have a solution: name → handout notebook."""
    found = {}
    for path in sorted(exercises_folder().glob("ex*.ipynb")):
        if (solutions_folder() / path.name).is_file():
            found[path.stem] = nbformat.read(path, as_version=4)
    return found


def _row(sub: Submission, student: str, exercise: str, status: str, detail: str, maximum: float) -> dict[str, Any]:
    return {
        "student": student,
        "file": sub.file,
        "sha256": sub.sha256,
        "exercise": exercise,
        "status": status,
        "detail": detail,
        "questions": [],
        "total": 0.0,
        "max": maximum,
        "repairs": [],
        "events": [],
        "runtime": 0.0,
    }


def _local_results(jobs: list[Job], workers: int, log: Log) -> Iterator[tuple[Job, dict[str, Any] | BaseException]]:
    """Run jobs on process pools, replacing a pool that breaks (a worker process died)."""
    pending = list(jobs)
    breaks: Counter[str] = Counter()
    context = multiprocessing.get_context("spawn")
    while pending:
        broken: list[Job] = []
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context) as pool:
            futures: dict[Future[dict[str, Any]], Job] = {pool.submit(run, job): job for job in pending}
            try:
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        yield job, future.result()
                    except BrokenProcessPool:
                        broken.append(job)
                    except Exception as error:  # a grader failure on this one submission
                        yield job, error
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        pending = []
        for job in broken:
            breaks[job.sha256] += 1
            if breaks[job.sha256] >= _MAX_POOL_BREAKS:
                yield job, RuntimeError("a grading process died while this submission was being graded")
            else:
                pending.append(job)
        if pending:
            log.write("pool restarted", reason="a grading process died", pending=len(pending))


def _dask_results(jobs: list[Job], address: str, log: Log) -> Iterator[tuple[Job, dict[str, Any] | BaseException]]:
    """Run the same jobs on a Dask distributed cluster."""
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError as error:  # pragma: no cover - distributed is in requirements.txt
        raise GraderFailure("--dask-scheduler needs the 'distributed' package (pip install distributed)") from error
    try:
        client = Client(address, timeout="30s")
    except Exception as error:
        raise GraderFailure(f"could not connect to the Dask scheduler at {address}: {error}") from error
    try:
        log.write("dask connected", scheduler=address, workers=len(client.scheduler_info().get("workers", {})))
        futures = {client.submit(run, job, pure=False, key=f"grade-{job.sha256[:12]}-{os.urandom(4).hex()}"): job for job in jobs}
        for future in dask_completed(list(futures)):
            job = futures[future]
            try:
                yield job, future.result()
            except Exception as error:
                yield job, error
    finally:
        client.close()


def grade(
    submissions: Path,
    out: Path,
    *,
    exercise: str | None = None,
    workers: int | None = None,
    dask_scheduler: str | None = None,
    limits: Limits = Limits(),
    force: bool = False,
    student_pattern: str | None = None,
    progress: Callable[[str], None] = print,
) -> Summary:
    """Grade every submission under ``submissions`` into ``out``; see the module docstring.

    Example:
        >>> summary = grade(Path("submissions"), Path("gradebook"), workers=2)   # doctest: +SKIP
        >>> summary.counts()
        Counter({'ok': 30, 'timeout': 1})
    """
    submissions, out = Path(submissions), Path(out)
    if not submissions.exists():
        raise GraderFailure(f"{submissions}: no such folder or file")
    out.mkdir(parents=True, exist_ok=True)
    log = Log(out / "grading_log.jsonl")
    handouts = known_exercises()
    found = discover(submissions)

    parsed: list[tuple[Submission, nbformat.NotebookNode | None, str]] = []
    for sub in found:
        try:
            parsed.append((sub, read_notebook(sub.data), ""))
        except Unreadable as reason:
            parsed.append((sub, None, str(reason)))
    identities = {sub.file: identify(nb, handouts, sub.file) for sub, nb, _ in parsed if nb is not None}
    if exercise is None:
        votes = Counter(i.name for i in identities.values() if i.name in handouts)
        if not votes:
            if not found:
                raise GraderFailure(f"{submissions}: no notebooks (.ipynb or .zip) found; pass --exercise to write an empty gradebook")
            raise GraderFailure("could not tell which exercise these notebooks are: pass --exercise NAME")
        (exercise, _), *rest = votes.most_common()
        if rest and rest[0][1] == votes[exercise]:
            raise GraderFailure(f"as many notebooks are {exercise} as {rest[0][0]}: pass --exercise NAME")
    if exercise not in handouts:
        known = ", ".join(handouts) or "none"
        raise GraderFailure(f"unknown exercise {exercise!r} (exercises with a handout and a solution: {known})")
    handout = handouts[exercise]
    specs = [dict(course_of(c)) for c in handout.cells if course_of(c).get("role") == "answer"]
    questions = [(str(s["question"]), float(s.get("points", 1))) for s in specs]
    maximum = sum(points for _, points in questions)
    print_ = fingerprint(exercise)
    store = ResultStore(out)
    workers = max(1, workers or os.cpu_count() or 1)
    if limits.kernel_threads is None and not dask_scheduler:
        # Each kernel's TensorFlow would otherwise start a thread per core: with two
        # workers on two cores the kernels fight over the cores and spend ~5 % more CPU.
        limits = replace(limits, kernel_threads=max(1, (os.cpu_count() or 1) // workers))
    log.write(
        "run started",
        grader=GRADER_VERSION,
        exercise=exercise,
        submissions=str(submissions),
        found=len(found),
        workers=workers,
        dask=dask_scheduler,
        limits=vars(limits),
    )

    summary = Summary(exercise)
    names: Counter[str] = Counter()
    feedback_names: dict[str, str] = {}
    jobs: dict[str, Job] = {}
    waiting: dict[str, list[tuple[Submission, str]]] = {}  # sha256 -> submissions sharing that content
    rows: dict[str, dict[str, Any]] = {}

    def write_class_report(complete: bool) -> None:
        entries = [(row, feedback_names[row["file"]]) for row in rows.values()]
        try:
            write_report(out, exercise, specs, entries, expected=len(parsed), complete=complete)
        except Exception as error:  # the report only shows the rows: a failure in it must not stop grading
            log.write("report failed", error=f"{type(error).__name__}: {error}")

    def record_row(row: dict[str, Any], *, report: bool = True) -> None:
        rows[row["file"]] = row
        write_feedback(out, row, feedback_names[row["file"]])
        write_gradebook(out, rows.values(), questions)
        if report:  # rows known before any kernel runs share one report, written after them
            write_class_report(complete=False)

    for sub, notebook, reason in parsed:
        student = student_of(sub, notebook, student_pattern, exercises=handouts)
        names[student] += 1
        feedback_names[sub.file] = safe_name(student) + ("" if names[student] == 1 else f"-{names[student]}")
        if notebook is None:
            row = _row(sub, student, exercise, "unreadable", f"Your notebook could not be read: {reason}.", maximum)
            log.write("unreadable", file=sub.file, student=student, sha256=sub.sha256, reason=reason)
            record_row(row, report=False)
            continue
        identity = identities[sub.file]
        if identity.name != exercise:
            what = f"the notebook of {identity.name}" if identity.name else "not a notebook of this course's exercises"
            detail = f"This is {what} (by {identity.evidence}); this assignment is {exercise}."
            row = _row(sub, student, exercise, "wrong exercise", detail, maximum)
            log.write("wrong exercise", file=sub.file, student=student, sha256=sub.sha256, found=identity.name, evidence=identity.evidence)
            record_row(row, report=False)
            continue
        cached = None if force else store.get(sub.sha256, print_)
        if cached is not None:
            row = {**cached, "student": student, "file": sub.file}
            log.write("cached", file=sub.file, student=student, sha256=sub.sha256, status=row["status"])
            summary.cached += 1
            record_row(row, report=False)
            continue
        if sub.sha256 in waiting:
            waiting[sub.sha256].append((sub, student))
            log.write("duplicate", file=sub.file, student=student, sha256=sub.sha256, same_as=waiting[sub.sha256][0][0].file)
            continue
        restored = restore(notebook, handout)
        for repair in restored.repairs:
            log.write("repair", file=sub.file, student=student, repair=repair)
        waiting[sub.sha256] = [(sub, student)]
        jobs[sub.sha256] = Job(
            student=student,
            file=sub.file,
            sha256=sub.sha256,
            exercise=exercise,
            notebook=nbformat.writes(restored.notebook),
            questions=specs,
            limits=limits,
            fingerprint=print_,
            repairs=restored.repairs,
        )
    write_gradebook(out, rows.values(), questions)
    write_class_report(complete=not jobs)

    total = len(parsed)
    done = len(rows)
    if jobs:
        start_warming(exercise)  # Keras and the references, while the first kernels run
        results = _dask_results(list(jobs.values()), dask_scheduler, log) if dask_scheduler else _local_results(list(jobs.values()), workers, log)
        for job, outcome in results:
            if not isinstance(outcome, BaseException):
                try:
                    result = finish(job, outcome)
                except Exception as error:  # a bug in judging: this row fails, the run goes on
                    outcome = error
            if isinstance(outcome, BaseException):
                log.write("grader error", file=job.file, sha256=job.sha256, error=f"{type(outcome).__name__}: {outcome}")
                base = _row(Submission(job.file, b"", job.file), job.student, exercise, "grader error", "", maximum)
                base.update(sha256=job.sha256, detail=f"The grader failed on this notebook ({type(outcome).__name__}).", repairs=job.repairs)
                result = base
            else:
                store.put(result)
            summary.ran += 1
            for sub, student in waiting[job.sha256]:
                row = {**result, "student": student, "file": sub.file}
                log.write(
                    "graded",
                    file=sub.file,
                    student=student,
                    sha256=sub.sha256,
                    status=row["status"],
                    total=row["total"],
                    max=row["max"],
                    runtime=row["runtime"],
                    questions={q["question"]: q["status"] for q in row["questions"]},
                    events=row["events"],
                )
                record_row(row)
                done += 1
                progress(f"[{done}/{total}] {student:<14} {row['total']:g}/{row['max']:g}  {row['status']:<14} {row['runtime']:.1f} s")
    summary.rows = list(rows.values())
    write_class_report(complete=True)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts().items()))
    log.write("run finished", rows=len(rows), ran=summary.ran, cached=summary.cached, counts=dict(summary.counts()))
    progress(f"graded {len(rows)} submission(s) of {exercise} into {out}: {counts or 'none'}" + (f" ({summary.cached} unchanged, not re-run)" if summary.cached else ""))
    return summary


@quiet_when_cut_short
def main(argv: list[str] | None = None, *, prog: str = "python -m course_utils.grade") -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Grade a folder of submitted exercise notebooks: each runs in its own kernel, within limits, "
        "and is judged with the same checks as q1.check(). Writes OUT/gradebook.csv, OUT/feedback/<student>.md, "
        "the class report OUT/report.html and OUT/grading_log.jsonl.",
        epilog=f"Example: {prog} submissions/ --out gradebook/ --exercise ex01_sequential --workers 2\n"
        "Exit status: 0 graded (whatever the students' results), 1 the grader failed on some submission, 2 usage error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("submissions", type=Path, help="folder of .ipynb files and .zip bundles (searched recursively), or one file")
    parser.add_argument("--out", type=Path, required=True, help="folder for gradebook.csv, feedback/, report.html and grading_log.jsonl")
    parser.add_argument("--exercise", help="the assignment, e.g. ex01_sequential (default: what most notebooks are)")
    parser.add_argument("--workers", type=int, default=None, help="submissions graded at once (default: number of cores)")
    parser.add_argument("--dask-scheduler", metavar="ADDRESS", help="run the jobs on this Dask cluster, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell before it is interrupted (default 60)")
    parser.add_argument("--given-cell-timeout", type=float, default=120.0, help="seconds at least for the handout's own cells: setup, context, checks (default 120)")
    parser.add_argument("--notebook-timeout", type=float, default=600.0, help="seconds for all of a notebook's cells (default 600)")
    parser.add_argument("--memory-mb", type=int, default=3072, help="memory a kernel may use before it is stopped (default 3072)")
    parser.add_argument("--kernel-threads", type=int, default=None, help="TensorFlow's inter-op threads in each kernel (default: the cores shared out among the workers; on Dask: TensorFlow's own); each operation runs on one thread, the course's numeric pin")
    parser.add_argument("--student-pattern", metavar="REGEX", help="regex with a (?P<student>...) group, matched against each file's path")
    parser.add_argument("--force", action="store_true", help="re-grade everything, even unchanged submissions")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    limits = Limits(
        cell_timeout=args.cell_timeout,
        given_timeout=args.given_cell_timeout,
        notebook_timeout=args.notebook_timeout, memory_mb=args.memory_mb, kernel_threads=args.kernel_threads
    )
    lines: list[str] = []

    def progress(line: str) -> None:
        if not args.quiet or line.startswith("graded "):
            print(line, flush=True)
        lines.append(line)

    try:
        summary = grade(
            args.submissions,
            args.out,
            exercise=args.exercise,
            workers=args.workers,
            dask_scheduler=args.dask_scheduler,
            limits=limits,
            force=args.force,
            student_pattern=args.student_pattern,
            progress=progress,
        )
    except GraderFailure as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if summary.grader_errors:
        print(f"the grader failed on {summary.grader_errors} submission(s): see {args.out / 'grading_log.jsonl'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
