"""Classroom grading: a hostile corpus graded in one run, the Dask path, and the pieces on their own.

The corpus is generated here from solutions/ and exercises/ (ex01_sequential) into
tmp_path; nothing big is committed. Limits are small so the file stays quick.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from course_utils.checks import CORRECT, ERROR, exercise
from course_utils.grade.cli import main
from course_utils.grade.discover import Submission, Unreadable, discover, identify, read_notebook, student_of
from course_utils.grade.execute import _Watchdog
from course_utils.grade.export import cell_source, decode_value, read_record
from course_utils.grade.restore import restore
from course_utils.grade.score import UnsafeModel, judge_record, rebuild_model

ROOT = Path(__file__).resolve().parent.parent
NAME = "ex01_sequential"
SOLUTION = ROOT / "solutions" / f"{NAME}.ipynb"
HANDOUT = ROOT / "exercises" / f"{NAME}.ipynb"
LIMITS = ["--cell-timeout", "20", "--notebook-timeout", "120", "--memory-mb", "1536"]

MONKEYPATCH = """\
import course_utils.checks as checks
import course_utils.checks.problems as problems
from course_utils.checks.outcomes import Outcome, CORRECT

def always_right(self, *args, **kwargs):
    return Outcome(self.question, CORRECT, "Correct")

problems.Problem.check = always_right
problems.Problem.produce = always_right
problems.Problem.judge = always_right
problems.compare_models = lambda *args, **kwargs: None
problems._compare_values = lambda *args, **kwargs: None
checks.compare_models = lambda *args, **kwargs: None
for q in (q1, q2, q3, q4):
    q.check = lambda *a, **k: print("✔ correct")
"""


def _cells_by_role(notebook, role, question=None):
    return [
        i
        for i, c in enumerate(notebook.cells)
        if c.metadata.get("course", {}).get("role") == role and (question is None or c.metadata["course"].get("question") == question)
    ]


def _write(notebook, path: Path) -> Path:
    nbformat.write(notebook, path)
    return path


def _with_cell(notebook, source, after):
    notebook = copy.deepcopy(notebook)
    cell = nbformat.v4.new_code_cell(source)
    cell.id = f"learner-{abs(hash(source)) % 10**8}"
    notebook.cells.insert(after + 1, cell)
    return notebook


def make_corpus(folder: Path) -> dict[str, str]:
    """Write the hostile corpus into ``folder``; returns student -> the status we expect."""
    folder.mkdir(parents=True, exist_ok=True)
    solution = nbformat.read(SOLUTION, as_version=4)
    handout = nbformat.read(HANDOUT, as_version=4)
    setup = _cells_by_role(handout, "setup")[0]
    expected = {}

    _write(solution, folder / "solution_ex01_sequential.ipynb")
    expected["solution"] = "ok"
    _write(handout, folder / "untouched.ipynb")
    expected["untouched"] = "ok"

    # An infinite loop in the answer cell of q2: interrupted; q1, q3, q4 still graded.
    looping = copy.deepcopy(solution)
    looping.cells[_cells_by_role(looping, "answer", "q2")[0]].source = "while True:\n    pass"
    _write(looping, folder / "looping.ipynb")
    expected["looping"] = "timeout"

    _write(_with_cell(solution, "import os\nos._exit(0)", _cells_by_role(solution, "check", "q1")[0]), folder / "exits.ipynb")
    expected["exits"] = "kernel died"

    bomb = "blocks = []\nwhile True:\n    blocks.append(b'x' * (64 * 1024 * 1024))"
    _write(_with_cell(solution, bomb, setup), folder / "bomb.ipynb")
    expected["bomb"] = "memory limit"

    (folder / "garbled.ipynb").write_text('{"cells": [', encoding="utf-8")
    expected["garbled"] = "unreadable"

    deleted = copy.deepcopy(solution)
    del deleted.cells[_cells_by_role(deleted, "check", "q1")[0]]
    _write(deleted, folder / "deleted_check.ipynb")
    expected["deleted_check"] = "ok"

    rewritten = copy.deepcopy(handout)
    for index in _cells_by_role(rewritten, "check"):
        question = rewritten.cells[index].metadata["course"]["question"]
        rewritten.cells[index].source = f'print("✔ {question} · correct — Correct")'
    _write(rewritten, folder / "prints_correct.ipynb")
    expected["prints_correct"] = "ok"

    _write(_with_cell(handout, MONKEYPATCH, setup), folder / "monkeypatch.ipynb")
    expected["monkeypatch"] = "ok"

    huge = "import sys\nfor _ in range(40):\n    sys.stdout.write('spam ' * 200_000 + '\\n')\nprint('x' * 20_000_000)"
    _write(_with_cell(handout, huge, setup), folder / "huge_output.ipynb")
    expected["huge_output"] = "ok"

    other = copy.deepcopy(handout)
    for index, cell in enumerate(other.cells):
        cell.id = f"other-{index}"
    other.cells[_cells_by_role(other, "setup")[0]].source = other.cells[setup].source.replace(NAME, "ex02_functional_basics")
    other.metadata["course"] = {"exercise": "ex02_functional_basics"}
    _write(other, folder / "wrong_exercise.ipynb")
    expected["wrong_exercise"] = "wrong exercise"
    return expected


def _hashes(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    by_student = {row["student"]: row for row in rows}
    assert len(by_student) == len(rows), "one row per submission"
    return by_student


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("out")
    expected = make_corpus(folder)
    before = _hashes(folder)
    status = main([str(folder), "--out", str(out), "--exercise", NAME, "--workers", "2", "--quiet", *LIMITS])
    return {"folder": folder, "out": out, "expected": expected, "before": before, "status": status}


def test_every_fixture_gives_one_row_with_its_status(graded):
    assert graded["status"] == 0, "student failures never make the grader fail"
    rows = _gradebook(graded["out"])
    assert set(rows) == set(graded["expected"])
    for student, status in graded["expected"].items():
        assert rows[student]["status"] == status, (student, rows[student])
    header = next(csv.reader(open(graded["out"] / "gradebook.csv", encoding="utf-8")))
    assert header == ["student", "file", "sha256", "q1", "q2", "q3", "q4", "total", "max", "status", "runtime"]


def test_points_are_earned_only_by_right_answers(graded):
    rows = _gradebook(graded["out"])
    totals = {student: float(row["total"]) for student, row in rows.items()}
    assert totals["solution"] == 4 and totals["deleted_check"] == 4
    assert rows["looping"]["q2"] == "0" and totals["looping"] == 3  # the loop stopped; later questions graded
    for student in ("untouched", "exits", "bomb", "garbled", "prints_correct", "monkeypatch", "huge_output", "wrong_exercise"):
        assert totals[student] == 0, (student, rows[student])
    assert all(row["max"] == "4" for row in rows.values())


def test_submission_files_are_never_modified(graded):
    assert _hashes(graded["folder"]) == graded["before"]


def test_feedback_uses_the_notebook_messages_and_names_repairs(graded):
    feedback = graded["out"] / "feedback"
    untouched = (feedback / "untouched.md").read_text(encoding="utf-8")
    assert "build_model() does not return a model yet" in untouched and "not attempted" in untouched
    deleted = (feedback / "deleted_check.md").read_text(encoding="utf-8")
    assert "check cell of q1" in deleted and "missing and was put back" in deleted
    rewritten = (feedback / "prints_correct.md").read_text(encoding="utf-8")
    assert "the handout's version was used" in rewritten and "✔ **correct**" not in rewritten
    exits = (feedback / "exits.md").read_text(encoding="utf-8")
    assert "kernel stopped" in exits and exits.count("your code raised") == 4
    bomb = (feedback / "bomb.md").read_text(encoding="utf-8")
    assert "more memory than the grader allows" in bomb
    looping = (feedback / "looping.md").read_text(encoding="utf-8")
    assert "ran longer than the time allowed" in looping
    assert "ex02_functional_basics" in (feedback / "wrong_exercise.md").read_text(encoding="utf-8")
    assert "invalid JSON" in (feedback / "garbled.md").read_text(encoding="utf-8")
    solution = (feedback / "solution.md").read_text(encoding="utf-8")
    assert solution.count("✔ **correct**") == 4
    for page in feedback.glob("*.md"):  # the checks never state the expected values
        text = page.read_text(encoding="utf-8")
        assert "(5, 3)" not in text and "0.01 " not in text and "467" not in text


def test_the_class_report_names_every_submission_and_status(graded):
    text = (graded["out"] / "report.html").read_text(encoding="utf-8")
    count = len(graded["expected"])
    assert f"Complete: {count} of {count} notebook(s)." in text
    for student in graded["expected"]:
        assert f"<td><a href='feedback/{student}.md'>{student}</a></td>" in text
    for status in set(graded["expected"].values()) - {"ok"}:
        assert f"data-status='{status}'>{status} (1)</h3>" in text
    # printing "correct" or patching the checker earns no share of correct answers: only the real solutions do
    assert re.search(r"<tr><td>q2</td><td>[^<]*</td><td class='count'>2</td>", text)
    log = (graded["out"] / "grading_log.jsonl").read_text(encoding="utf-8")
    assert '"report failed"' not in log


def test_log_records_every_submission_and_repair(graded):
    events = [json.loads(line) for line in (graded["out"] / "grading_log.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run started" and kinds[-1] == "run finished"
    graded_files = {e["file"] for e in events if e["event"] in ("graded", "unreadable", "wrong exercise")}
    assert len(graded_files) == len(graded["expected"])
    repairs = [e for e in events if e["event"] == "repair"]
    assert {e["student"] for e in repairs} >= {"deleted_check", "prints_correct"}


def test_unchanged_submissions_are_not_run_again(graded):
    out = graded["out"]
    before = (out / "gradebook.csv").read_text()
    assert main([str(graded["folder"]), "--out", str(out), "--exercise", NAME, "--quiet", *LIMITS]) == 0
    events = [json.loads(line) for line in (out / "grading_log.jsonl").read_text().splitlines()]
    last_run = events[max(i for i, e in enumerate(events) if e["event"] == "run started") :]
    assert not [e for e in last_run if e["event"] == "graded"]
    assert len([e for e in last_run if e["event"] == "cached"]) == 9
    assert (out / "gradebook.csv").read_text() == before
    assert not list(out.rglob("*.tmp"))


def test_dask_cluster_runs_the_same_jobs(tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "dana.ipynb")
    (folder / "eve.ipynb").write_text("not json", encoding="utf-8")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        status = main([str(folder), "--out", str(tmp_path / "out"), "--exercise", NAME, "--dask-scheduler", cluster.scheduler_address, "--quiet", *LIMITS])
    assert status == 0
    rows = _gradebook(tmp_path / "out")
    assert rows["dana"]["total"] == "4" and rows["dana"]["status"] == "ok"
    assert rows["eve"]["status"] == "unreadable"
    log = (tmp_path / "out" / "grading_log.jsonl").read_text()
    assert '"dask connected"' in log


# ------------------------------------------------------------- the pieces
@pytest.fixture(scope="module")
def ex01():
    return exercise(NAME)


def _given(problem):
    """The model of the notebook a question reuses (``"reuses"`` in its metadata), as the learner has it."""
    reused = problem.spec.get("reuses")
    return {reused: problem.exercise.reference_namespace(problem.question)[reused]} if reused else {}


def _export_in_process(problem, answer, tmp_path):
    """Run the export cell's code here, on a fake learner namespace, and read the record back."""
    directory = Path(tempfile.mkdtemp(prefix=f"export-{problem.question}-", dir=tmp_path))
    namespace = {**_given(problem), **({} if answer is Ellipsis else {problem.name: answer})}
    exec(cell_source(problem.spec, nonce="n0nce", directory=directory), namespace)
    return read_record(directory, "n0nce", problem.question)


def _wrong_cases():
    from wrong_answers.ex01_sequential import WRONG

    for question, cases in WRONG.items():
        for label, answer, _ in cases:
            yield pytest.param(question, answer, id=f"{question}-{label}")


@pytest.mark.parametrize("question, answer", list(_wrong_cases()))
def test_grader_reaches_the_same_verdict_and_message_as_check(question, answer, ex01, tmp_path):
    problem = getattr(ex01, question)
    in_notebook = problem.check(**{problem.name: answer})
    graded, _ = judge_record(problem, _export_in_process(problem, answer, tmp_path))
    assert (graded.status, graded.message) == (in_notebook.status, in_notebook.message)


ALL_EXERCISES = sorted(p.stem for p in (ROOT / "solutions").glob("ex*.ipynb"))


@pytest.mark.parametrize("name", ALL_EXERCISES)
def test_every_exercise_round_trips_through_the_grader(name, tmp_path):
    """Every wrong answer, the reference and a blank of every exercise: the grader's verdict is check()'s."""
    import importlib

    problems = exercise(name)
    wrong = importlib.import_module(f"wrong_answers.{name}").WRONG
    for problem in problems.questions:
        reference = problems.reference_namespace(problem.question)[problem.name]
        for answer in [reference, Ellipsis, *[case[1] for case in wrong.get(problem.question, [])]]:
            in_notebook = problem.check(**{problem.name: answer}, **_given(problem))
            graded, _ = judge_record(problem, _export_in_process(problem, answer, tmp_path))
            assert (graded.status, graded.message) == (in_notebook.status, in_notebook.message), (problem.question, answer)


def test_reference_answers_and_blanks_are_judged_as_in_the_notebook(ex01, tmp_path):
    for problem in ex01.questions:
        reference = ex01.reference_namespace(problem.question)[problem.name]
        for answer in (reference, Ellipsis, None):
            in_notebook = problem.check(**{problem.name: answer})
            graded, _ = judge_record(problem, _export_in_process(problem, answer, tmp_path))
            assert (graded.status, graded.message) == (in_notebook.status, in_notebook.message)
    assert judge_record(ex01.q3, _export_in_process(ex01.q3, [5, 3], tmp_path))[0].status == CORRECT


def test_export_ignores_a_patched_problem_class(ex01, tmp_path, monkeypatch):
    import course_utils.checks.problems as problems
    from course_utils.checks.outcomes import Outcome

    monkeypatch.setattr(problems.Problem, "produce", lambda self, answer: Outcome(self.question, CORRECT, "Correct"))
    record = _export_in_process(ex01.q1, Ellipsis, tmp_path)
    assert record.kind == "missing"


def test_forged_records_never_pass(ex01, tmp_path):
    directory = tmp_path / "forged"
    directory.mkdir()
    (directory / "abc-q1.json").write_text(json.dumps({"question": "q1", "nonce": "abc", "kind": "correct"}))
    assert read_record(directory, "abc", "q1").kind == "failed"
    (directory / "abc-q2.json").write_text(json.dumps({"question": "q2", "nonce": "other", "kind": "value", "value": 467}))
    assert read_record(directory, "abc", "q2").kind == "failed"
    os.symlink(directory / "abc-q2.json", directory / "abc-q3.json")
    assert read_record(directory, "abc", "q3").kind == "failed"
    assert judge_record(ex01.q1, read_record(directory, "abc", "q1"))[0].status == ERROR


def test_models_are_rebuilt_in_safe_mode_and_lambdas_refused():
    import keras

    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(keras.layers.Dense(3)(inputs))
    with pytest.raises(UnsafeModel, match="Lambda"):
        rebuild_model(keras.Model(inputs, outputs).to_json())
    config = json.loads(keras.Model(inputs, keras.layers.Dense(2)(inputs)).to_json())
    config["config"]["layers"][1]["module"] = "os"
    with pytest.raises(UnsafeModel, match="not one of Keras' own layers"):
        rebuild_model(json.dumps(config))


def test_a_config_asking_for_huge_layers_is_refused_before_any_weight_exists():
    """A few bytes of config (Dense(10**7) on 8 inputs: 90 million parameters) must not make the grader allocate them."""
    import keras
    from keras.src.backend.common import global_state

    config = json.loads(keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)]).to_json())
    dense = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")
    dense["config"]["units"] = 10**7
    with pytest.raises(UnsafeModel, match="90,000,000 parameters"):
        rebuild_model(json.dumps(config))
    # the counted variables are dropped, so no later StatelessScope initialises them
    assert not global_state.get_global_attribute("uninitialized_variables", None)


def test_a_forged_export_of_a_huge_model_scores_nothing_and_says_why(ex01):
    """A kernel can hand the export any to_json() it likes; the grader still allocates nothing and the run goes on."""
    import keras

    from course_utils.grade.export import Record

    config = json.loads(keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)]).to_json())
    next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")["config"]["units"] = 10**9
    outcome, _ = judge_record(ex01.q1, Record("q1", "model", {"config": json.dumps(config)}))
    assert outcome.status != CORRECT
    assert "9,000,000,000 parameters" in outcome.message


def test_parameters_are_counted_like_keras_for_every_kind_of_weighted_layer():
    import keras

    from course_utils.grade.score import _parameter_count

    tokens = keras.Input((6,), dtype="int64")
    embedded = keras.layers.Embedding(20, 8)(tokens)
    sequence = keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True))(embedded)
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(sequence, sequence)
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.LayerNormalization()(attended))
    image = keras.Input((8, 8, 3))
    conv = keras.layers.BatchNormalization()(keras.layers.Conv2D(6, 3)(image))
    flat = keras.layers.Flatten()(keras.layers.GRU(4)(keras.layers.Reshape((36, 6))(conv)))
    merged = keras.layers.Concatenate()([pooled, flat])
    model = keras.Model([tokens, image], keras.layers.Dense(2)(merged))
    config = json.loads(model.to_json())
    assert _parameter_count(config) == model.count_params() > 0
    assert config == json.loads(model.to_json())  # counting leaves the config as it was
    rebuilt, notes = rebuild_model(model.to_json(), model.get_weights())
    assert rebuilt.count_params() == model.count_params() and notes == []


def test_values_round_trip_with_their_types():
    assert decode_value({"__tuple__": [None, {"__tuple__": [1, 2]}]}) == (None, (1, 2))
    assert decode_value({"__dict__": [["a", 1.5]]}) == {"a": 1.5}
    with pytest.raises(ValueError):
        decode_value({"__ndarray__": [1], "dtype": "object"})


def test_restore_puts_back_changed_missing_and_renamed_given_cells():
    handout = nbformat.read(HANDOUT, as_version=4)
    broken = copy.deepcopy(handout)
    checks = _cells_by_role(broken, "check")
    broken.cells[checks[0]].source = "print('Correct')"
    broken.cells[checks[1]].id = "renamed"
    broken.cells[_cells_by_role(broken, "context")[0]].cell_type = "markdown"
    del broken.cells[checks[2]]
    broken.cells.append(copy.deepcopy(handout.cells[checks[0]]))  # a duplicated check cell
    fixed = restore(broken, handout)
    given = [c for c in fixed.notebook.cells if c.metadata.get("course", {}).get("role") in ("setup", "context", "check")]
    expected = [c for c in handout.cells if c.metadata.get("course", {}).get("role") in ("setup", "context", "check")]
    assert [(c.id, c.source) for c in given] == [(c.id, c.source) for c in expected]
    assert any(c.source == "print('Correct')" for c in fixed.notebook.cells), "the learner's text is kept as their own cell"
    assert len(fixed.repairs) == 5
    assert all(not c.get("outputs") for c in fixed.notebook.cells if c.cell_type == "code")


def test_discovery_names_students_reads_zips_and_rejects_garbage(tmp_path):
    (tmp_path / "alice_ex01_sequential.ipynb").write_bytes(SOLUTION.read_bytes())
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "ex01_sequential.ipynb").write_bytes(HANDOUT.read_bytes())
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    with zipfile.ZipFile(tmp_path / "carol.zip", "w") as bundle:
        bundle.writestr("ex01_sequential.ipynb", HANDOUT.read_bytes())
        bundle.writestr("__MACOSX/._ex01_sequential.ipynb", b"junk")
    found = discover(tmp_path)
    assert [s.file for s in found] == ["alice_ex01_sequential.ipynb", "bob/ex01_sequential.ipynb", "carol.zip!ex01_sequential.ipynb"]
    assert [student_of(s, read_notebook(s.data)) for s in found] == ["alice", "bob", "carol"]
    late = Submission("ex01_sequential_bob (1).ipynb", b"", "ex01_sequential_bob (1).ipynb")
    assert student_of(late, None, exercises=[NAME]) == "bob"
    tagged = read_notebook(HANDOUT.read_bytes())
    tagged.metadata["course"] = {"student": "dora@example.org"}
    assert student_of(found[0], tagged) == "dora@example.org"
    handouts = {NAME: nbformat.read(HANDOUT, as_version=4)}
    assert identify(read_notebook(found[1].data), handouts).name == NAME
    for garbage, reason in [(b"\xff\xfe", "UTF-8"), (b"[]", "not a Jupyter notebook"), (b'{"cells": 3}', "not a Jupyter notebook")]:
        with pytest.raises(Unreadable, match=reason):
            read_notebook(garbage)


def test_help_and_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--dask-scheduler" in text and "--workers" in text and "--cell-timeout" in text
    assert (ROOT / "course_utils" / "grade" / "__main__.py").is_file()
    assert main([str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert main([str(tmp_path), "--out", str(tmp_path / "out"), "--exercise", "ex99_nothing"]) == 2


def test_main_leaves_the_callers_environment_alone(tmp_path):
    """Kernels started later by the same program (nbval's, say) inherit os.environ: main() must not change it."""
    before = dict(os.environ)
    main([str(tmp_path), "--out", str(tmp_path / "out"), "--exercise", "ex99_nothing"])
    assert dict(os.environ) == before


def test_jobs_and_exported_records_survive_pickling(ex01, tmp_path):
    """What travels to a pool or Dask worker and back is plain, picklable data."""
    import pickle

    from course_utils.grade.execute import Limits
    from course_utils.grade.job import Job, fingerprint

    restored = restore(nbformat.read(SOLUTION, as_version=4), nbformat.read(HANDOUT, as_version=4))
    specs = [dict(c.metadata["course"]) for c in restored.notebook.cells if c.metadata.get("course", {}).get("role") == "answer"]
    job = Job("a", "a.ipynb", "0" * 64, NAME, nbformat.writes(restored.notebook), specs, Limits(), fingerprint(NAME))
    assert pickle.loads(pickle.dumps(job)) == job
    reference = ex01.reference_namespace("q1")["build_model"]
    record = _export_in_process(ex01.q1, reference, tmp_path)
    assert record.kind == "model" and record.weights
    again = pickle.loads(pickle.dumps(record))
    assert judge_record(ex01.q1, again)[0].status == CORRECT


def test_watchdog_counts_a_child_started_after_it_and_kills_the_whole_tree():
    """The process tree is listed again every RESCAN seconds: a child's memory counts too."""
    hog = "import time\nblock = b'x' * (400 * 2**20)\ntime.sleep(60)"
    parent = f"import subprocess, sys, time\ntime.sleep(1)\nsubprocess.Popen([sys.executable, '-c', {hog!r}])\ntime.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", parent], start_new_session=True)
    watchdog = _Watchdog(psutil.Process(process.pid), 200 * 2**20, time.monotonic() + 60)
    watchdog.start()
    watchdog.join(timeout=30)
    assert watchdog.reason == "memory limit"
    assert watchdog.peak > 200 * 2**20
    assert process.wait(timeout=10) == -9


def test_watchdog_stops_a_kernel_past_its_deadline():
    process = subprocess.Popen([sys.executable, "-c", "import time\ntime.sleep(60)"], start_new_session=True)
    watchdog = _Watchdog(psutil.Process(process.pid), 2**40, time.monotonic() + 1)
    watchdog.start()
    watchdog.join(timeout=30)
    assert watchdog.reason == "time limit"
    assert process.wait(timeout=10) == -9


def test_the_command_exits_with_mains_status_after_writing_everything(tmp_path):
    """``python -m course_utils.grade`` ends with os._exit: its status and files must still be main()'s."""
    def command(*args):
        return subprocess.run([sys.executable, "-m", "course_utils.grade", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)

    empty = tmp_path / "empty"
    empty.mkdir()
    done = command(str(empty), "--out", str(tmp_path / "out"), "--exercise", NAME)
    assert done.returncode == 0, done.stderr
    assert "graded 0 submission(s)" in done.stdout
    assert (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8").startswith("student,file,sha256,q1,")
    unknown = command(str(empty), "--out", str(tmp_path / "out2"), "--exercise", "ex99_nothing")
    assert unknown.returncode == 2
    assert "unknown exercise 'ex99_nothing'" in unknown.stderr


def test_training_without_autotuning_gives_the_same_numbers_bit_for_bit(monkeypatch):
    """The grader's kernels feed arrays without tf.data's autotuner: same batches, same order, same weights."""
    import inspect

    import keras
    import numpy as np
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    from course_utils import data
    from course_utils.grade.pipelines import skip_autotuning
    from course_utils.training import reset

    x, y = data.tabular_classes(n=210, n_features=8, n_classes=3, seed=1)  # 168 to train: 5 batches of 32 and one of 8

    def train():
        reset(0)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3, activation="softmax")])
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=0)  # shuffled; partial batches
        return history.history, model.get_weights(), model.predict(x[:7], verbose=0)

    # Keras' own method (grading in this process may have wrapped it already); undone after the test
    monkeypatch.setattr(ArrayDataAdapter, "get_tf_dataset", inspect.unwrap(ArrayDataAdapter.get_tf_dataset))
    autotuned = train()
    assert ArrayDataAdapter(x, y, batch_size=32, shuffle=True).get_tf_dataset().options().autotune.enabled is not False
    assert skip_autotuning() is True and skip_autotuning() is True  # a second call changes nothing
    assert ArrayDataAdapter(x, y, batch_size=32, shuffle=True).get_tf_dataset().options().autotune.enabled is False
    untuned = train()
    assert untuned[0] == autotuned[0]
    for after, before in zip(untuned[1] + [untuned[2]], autotuned[1] + [autotuned[2]]):
        np.testing.assert_array_equal(after, before)


def test_kernels_run_the_preamble_before_the_learners_cells():
    from course_utils.grade.execute import Limits, execute

    probe = (
        "from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter\n"
        "assert ArrayDataAdapter.get_tf_dataset._course_autotuning_off"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    run = execute(notebook, [], Limits(cell_timeout=60, notebook_timeout=120))
    assert run.status == "ok"
    assert run.events == []  # neither "preamble failed" nor an error in the probe cell
    assert len(notebook.cells) == 1  # the preamble is not left in the notebook


def test_a_config_with_thousands_of_layers_is_refused_before_keras_reads_it(monkeypatch):
    """An 8 MB export can describe ~13,000 layers; rebuilding them would hold up judging for minutes."""
    import keras

    from course_utils.grade.score import MAX_LAYER_CALLS, _layer_calls

    inputs = keras.Input((4,))
    branches = [keras.layers.Activation("relu")(inputs) for _ in range(MAX_LAYER_CALLS)]
    wide = keras.Model(inputs, keras.layers.Concatenate()(branches))
    assert _layer_calls(json.loads(wide.to_json())) == MAX_LAYER_CALLS + 2  # the branches, the input and the merge
    def rebuilt(*args, **kwargs):
        raise AssertionError("Keras was asked to rebuild the model")

    monkeypatch.setattr(keras.saving, "deserialize_keras_object", rebuilt)
    with pytest.raises(UnsafeModel, match=f"{MAX_LAYER_CALLS + 2:,} layer calls"):
        rebuild_model(wide.to_json())  # counted from the JSON alone
    monkeypatch.undo()
    shared = keras.layers.Dense(4)
    x = inputs
    for _ in range(3):
        x = shared(x)
    nested = keras.Sequential([keras.Input((4,)), keras.Model(inputs, x), keras.layers.Dense(2)])
    # the outer input, the nested model, its input, its 3 calls of one Dense, the outer Dense
    assert _layer_calls(json.loads(nested.to_json())) == 1 + 1 + 1 + 3 + 1
