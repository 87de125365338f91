"""Run one restored notebook in its own kernel, within limits, then export its answers.

:func:`execute` starts a fresh course kernel (the grader's own Python) in a new
temporary working directory, talking over IPC sockets in a private directory (no
TCP port races between parallel workers), and

* first runs the grader's preamble (:mod:`~course_utils.grade.pipelines`: Keras' array
  pipelines without tf.data's autotuner, the same numbers for less CPU);
* runs every cell with ``allow_errors``: an error never stops later cells;
* gives each cell ``cell_timeout`` seconds (the handout's own cells – setup, context,
  checks – at least ``given_timeout``: importing TensorFlow on a busy machine is
  slow); a cell that takes longer is interrupted, and a kernel that does not answer a
  probe after that is stopped;
* gives the learner's cells ``notebook_timeout`` seconds in all; cells after that are
  skipped, and a watchdog kills the kernel if the export has not finished either;
* lets a watchdog thread kill the kernel and everything it started as soon as their
  resident memory passes ``memory_mb``;
* keeps no output but errors (nothing printed counts, and a flood of output cannot
  fill the grader's memory);
* then sends one export cell per question (:mod:`course_utils.grade.export`), each with
  a nonce and an export directory chosen at that moment, and reads the records back.

A kernel that dies leaves every question not yet exported as missing, with the
reason; it is never counted as passed.

Example:
    >>> run = execute(restored.notebook, questions, Limits(cell_timeout=20))   # doctest: +SKIP
    >>> run.status, sorted(run.records)
    ('ok', ['q1', 'q2', 'q3', 'q4'])
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from course_utils.grade.export import Record, cell_source, problems_file, read_record
from course_utils.grade.pipelines import preamble
from course_utils.grade.restore import GIVEN_ROLES, course_of
from course_utils.numerics import kernel_environment
from course_utils.progress import OFF_VARIABLE

__all__ = ["Execution", "Limits", "execute"]

_TIMEOUT_NAME = "CellTimeoutError"
#: Handout cells the grader does not run. A check cell only prints the verdict the
#: learner sees; the grader judges the exported answers itself, so running the checks
#: in the kernel (which computes every reference a second time) would change nothing.
#: A progress cell only shows the learner's own record (course_utils.progress).
NOT_RUN_ROLES = ("check", "progress")
_PASSED_ENV = {
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX",
    "LD_LIBRARY_PATH", "JUPYTER_PATH", "MPLCONFIGDIR", "KERAS_HOME",
}


@dataclass(frozen=True)
class Limits:
    """Per-submission limits: seconds per cell, seconds for the learner's cells, resident memory in MB."""

    cell_timeout: float = 60.0
    notebook_timeout: float = 600.0
    given_timeout: float = 120.0  # floor for the handout's own cells (setup, context, check): TF import, training
    memory_mb: int = 3072
    kernel_threads: int | None = None  # TensorFlow's inter-op threads in the kernel (None: its default)


@dataclass
class Execution:
    """What happened: a status, the exported records, why the others are missing, and events."""

    status: str = "ok"  # ok | timeout | time limit | memory limit | kernel died
    records: dict[str, Record | None] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    runtime: float = 0.0
    peak_memory_mb: float = 0.0


class _CourseKernel(KernelSpecManager):
    """Always the grader's own Python with ipykernel: never a user-wide kernel of the same name."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="course grader",
            language="python",
            env={},
        )


class _QuietClient(NotebookClient):
    """nbclient that keeps only error outputs (name and first line), ignores widgets, and notes timeouts."""

    timed_out = False

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
        self.timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        if msg["msg_type"] != "error":
            return None
        content = msg.get("content", {})
        out = nbformat.v4.new_output(
            "error",
            ename=str(content.get("ename", ""))[:200],
            evalue=(str(content.get("evalue", "")).splitlines() or [""])[0][:500],
            traceback=[],
        )
        outs.append(out)
        return out

    def handle_comm_msg(self, outs: list, msg: dict, cell_index: int) -> None:
        return None


class _Watchdog(threading.Thread):
    """Kills the kernel's process tree past a memory limit or a hard deadline.

    Resident memory is summed every ``POLL`` seconds over the processes known to be in
    the tree; the tree itself (``children(recursive=True)`` scans every process on the
    machine) is listed again every ``RESCAN`` seconds, so a child the kernel starts is
    counted from at most that long after it appears.
    """

    POLL = 0.05
    RESCAN = 0.5

    def __init__(self, root: psutil.Process, memory_bytes: int, deadline: float) -> None:
        super().__init__(daemon=True, name=f"grade-watchdog-{root.pid}")
        self.root, self.memory_bytes, self.deadline = root, memory_bytes, deadline
        self.reason: str | None = None
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        root = self.root
        tree: list[psutil.Process] = [root]
        rescan_at = 0.0
        while not self._stop_event.wait(self.POLL):
            now = time.monotonic()
            if now >= rescan_at:
                try:
                    tree = [root, *root.children(recursive=True)]
                except psutil.Error:
                    return
                rescan_at = now + self.RESCAN
            rss = 0
            for process in tree:
                try:
                    rss += process.memory_info().rss
                except psutil.NoSuchProcess:
                    if process is root:
                        return
                except psutil.Error:
                    pass
            self.peak = max(self.peak, rss)
            if rss > self.memory_bytes:
                self.kill("memory limit")
                return
            if time.monotonic() > self.deadline:
                self.kill("time limit")
                return

    def kill(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        kill_tree(self.root)

    def stop(self) -> None:
        self._stop_event.set()


def kill_tree(root: psutil.Process) -> None:
    """SIGKILL a kernel, its process group and every process it started (if it is still that process)."""
    try:
        if not root.is_running():  # also false when the pid now belongs to another process
            return
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    try:
        if os.getpgid(root.pid) == root.pid:
            os.killpg(root.pid, signal.SIGKILL)
    except OSError:
        pass
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass


def _kernel_env(limits: Limits, home: Path) -> dict[str, str]:
    # Only what a kernel needs: the grader's own secrets (tokens, keys) stay out of the learner's reach.
    env = {k: v for k, v in os.environ.items() if k in _PASSED_ENV or k.startswith("LC_")}
    env.update(kernel_environment())  # the numeric set-up the stored solutions were made with
    env.update(
        CUDA_VISIBLE_DEVICES="-1",
        PYTHONDONTWRITEBYTECODE="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        MPLBACKEND="Agg",
        TMPDIR=str(home),
    )
    env[OFF_VARIABLE] = "off"  # a learner's own q1.check() in a submission adds to no one's progress record
    if limits.kernel_threads:
        # Only the pools that do not change the arithmetic: one intra-op thread stays pinned.
        threads = str(limits.kernel_threads)
        env.update(TF_NUM_INTEROP_THREADS=threads, OMP_NUM_THREADS=threads)
    return env


def execute(notebook: nbformat.NotebookNode, questions: list[dict[str, Any]], limits: Limits) -> Execution:
    """Run ``notebook`` (already restored) and export the answers of ``questions`` (handout specs).

    Never raises for anything the notebook does; grader failures (no kernel could be
    started) do raise.
    """
    return asyncio.run(_execute(notebook, questions, limits))


async def _execute(notebook: nbformat.NotebookNode, questions: list[dict[str, Any]], limits: Limits) -> Execution:
    result = Execution()
    private = Path(tempfile.mkdtemp(prefix="course-grade-"))
    workdir = private / "work"
    sockets = private / "ipc"
    workdir.mkdir()
    sockets.mkdir(mode=0o700)
    start = time.monotonic()
    km = AsyncKernelManager(
        kernel_name="python3",
        kernel_spec_manager=_CourseKernel(),
        transport="ipc",
        ip=str(sockets / "k"),
        connection_file=str(sockets / "kernel.json"),
    )
    client = _QuietClient(
        notebook,
        km=km,
        timeout=int(limits.cell_timeout),
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": _TIMEOUT_NAME, "evalue": "the cell ran too long", "traceback": []},
        resources={"metadata": {"path": str(workdir)}},
        record_timing=False,
        iopub_timeout=4,
        startup_timeout=120,
    )
    watchdog: _Watchdog | None = None
    try:
        await km.start_kernel(cwd=str(workdir), env=_kernel_env(limits, workdir))
        root = psutil.Process(km.provisioner.pid)  # type: ignore[union-attr]
        export_budget = len(questions) * limits.cell_timeout + 30
        watchdog = _Watchdog(root, limits.memory_mb * 1024 * 1024, start + limits.notebook_timeout + export_budget)
        watchdog.start()
        client.kc = km.client()
        client.kc.start_channels()
        await client.kc.wait_for_ready(timeout=120)
        learner_deadline = start + limits.notebook_timeout
        alive = await _run_preamble(client, notebook, result, limits)
        alive = alive and await _run_learner_cells(client, notebook, result, limits, learner_deadline, watchdog)
        if alive:
            await _export_all(client, notebook, questions, limits, result, private, watchdog)
        else:
            _mark_missing(result, questions, watchdog, {})
    finally:
        if watchdog is not None:
            watchdog.stop()
            result.peak_memory_mb = round(watchdog.peak / 1024 / 1024, 1)
        await _shutdown(km, client, watchdog.root if watchdog is not None else None)
        shutil.rmtree(private, ignore_errors=True)
        result.runtime = round(time.monotonic() - start, 2)
    return result


async def _run_cell(client: _QuietClient, notebook: nbformat.NotebookNode, index: int, timeout: float) -> str | None:
    """Run one cell; the error name it ended with, if any (``CellTimeoutError`` for a timeout)."""
    cell = notebook.cells[index]
    client.timeout = max(1, int(timeout))
    client.timed_out = False
    cell = await client.async_execute_cell(cell, index)
    if client.timed_out:
        return _TIMEOUT_NAME
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return errors[-1].get("ename") if errors else None


async def _responsive(client: _QuietClient, notebook: nbformat.NotebookNode) -> bool:
    """After a timeout: does the kernel answer a trivial cell within 5 s (was the interrupt obeyed)?"""
    probe = nbformat.v4.new_code_cell("pass")
    notebook.cells.append(probe)
    try:
        return await _run_cell(client, notebook, len(notebook.cells) - 1, 5) != _TIMEOUT_NAME
    finally:
        notebook.cells.pop()


async def _run_preamble(client: _QuietClient, notebook: nbformat.NotebookNode, result: Execution, limits: Limits) -> bool:
    """Run the grader's preamble (:mod:`~course_utils.grade.pipelines`); False if the kernel is gone.

    It only makes training cheaper: if it fails, the event is logged and grading goes on.
    """
    notebook.cells.append(nbformat.v4.new_code_cell(preamble()))
    try:
        error = await _run_cell(client, notebook, len(notebook.cells) - 1, max(limits.cell_timeout, limits.given_timeout))
    except DeadKernelError:
        result.status = "kernel died"
        result.events.append({"event": "kernel died", "cell": "preamble"})
        return False
    finally:
        notebook.cells.pop()
    if error:
        result.events.append({"event": "preamble failed", "error": error})
    return True


async def _run_learner_cells(
    client: _QuietClient,
    notebook: nbformat.NotebookNode,
    result: Execution,
    limits: Limits,
    deadline: float,
    watchdog: _Watchdog,
) -> bool:
    """Run the notebook's cells; False if the kernel is gone."""
    code = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell.source.strip() and course_of(cell).get("role") not in NOT_RUN_ROLES
    ]
    for position, index in enumerate(code):
        cell = notebook.cells[index]
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            result.status = "time limit"
            result.events.append(
                {"event": "skipped", "cells": len(code) - position, "reason": f"the notebook's {limits.notebook_timeout:.0f} s were used up"}
            )
            return True
        given = course_of(cell).get("role") in GIVEN_ROLES
        allowed = max(limits.cell_timeout, limits.given_timeout) if given else limits.cell_timeout
        try:
            error = await _run_cell(client, notebook, index, min(allowed, remaining))
        except DeadKernelError:
            reason = watchdog.reason or "kernel died"
            result.status = reason
            result.events.append({"event": reason, "cell": cell.get("id"), "index": index})
            return False
        if error == _TIMEOUT_NAME:
            result.status = "timeout" if result.status == "ok" else result.status
            result.events.append({"event": "timeout", "cell": cell.get("id"), "index": index, "seconds": round(min(allowed, remaining))})
            try:
                responsive = await _responsive(client, notebook)
            except DeadKernelError:
                responsive = False
            if not responsive:
                watchdog.kill("timeout")
                result.events.append({"event": "kernel stopped", "reason": "it did not stop after the timeout"})
                return False
        elif error:
            result.events.append({"event": "error", "cell": cell.get("id"), "index": index, "error": error})
    return True


async def _export_all(
    client: _QuietClient,
    notebook: nbformat.NotebookNode,
    questions: list[dict[str, Any]],
    limits: Limits,
    result: Execution,
    private: Path,
    watchdog: _Watchdog,
) -> None:
    problems = problems_file()
    exported: dict[str, Record | None] = {}
    for spec in questions:
        question = str(spec["question"])
        directory = Path(tempfile.mkdtemp(prefix="export-", dir=private))
        nonce = secrets.token_hex(16)
        notebook.cells.append(nbformat.v4.new_code_cell(cell_source(spec, nonce=nonce, directory=directory, problems=problems)))
        try:
            error = await _run_cell(client, notebook, len(notebook.cells) - 1, limits.cell_timeout)
        except DeadKernelError:
            reason = watchdog.reason or "kernel died"
            result.status = reason if result.status in ("ok", "timeout") else result.status
            result.events.append({"event": reason, "cell": f"export {question}"})
            _mark_missing(result, questions, watchdog, exported)
            return
        if error == _TIMEOUT_NAME:
            result.missing[question] = (
                f"Your {spec['name']}() did not finish within {limits.cell_timeout:.0f} s when the grader called it."
                if spec.get("kind") == "model"
                else f"Reading {spec['name']} took longer than {limits.cell_timeout:.0f} s."
            )
            result.events.append({"event": "timeout", "cell": f"export {question}"})
            exported[question] = None
            try:
                if not await _responsive(client, notebook):
                    watchdog.kill("timeout")
                    _mark_missing(result, questions, watchdog, exported)
                    return
            except DeadKernelError:
                _mark_missing(result, questions, watchdog, exported)
                return
            continue
        exported[question] = read_record(directory, nonce, question)
        result.records[question] = exported[question]
        shutil.rmtree(directory, ignore_errors=True)


def _mark_missing(result: Execution, questions: list[dict[str, Any]], watchdog: _Watchdog, done: dict[str, Any]) -> None:
    reason = watchdog.reason or result.status
    sentence = {
        "memory limit": "Your notebook used more memory than the grader allows, so it was stopped before this answer was read.",
        "time limit": "Your notebook ran longer than the grader allows, so it was stopped before this answer was read.",
        "timeout": "Your notebook was stopped after a cell ran too long, before this answer was read.",
    }.get(reason, "Your notebook's kernel stopped (it died or was ended by the code) before this answer was read.")
    if result.status == "ok":
        result.status = reason if reason in ("memory limit", "time limit", "timeout") else "kernel died"
    for spec in questions:
        question = str(spec["question"])
        if question not in done and question not in result.records:
            result.missing.setdefault(question, sentence)


async def _shutdown(km: AsyncKernelManager, client: _QuietClient, root: psutil.Process | None) -> None:
    try:
        if client.kc is not None:
            client.kc.stop_channels()
    except Exception:  # the channels may already be closed
        pass
    try:
        if km.has_kernel:
            await asyncio.wait_for(km.shutdown_kernel(now=True), timeout=10)
    except Exception:  # a kernel that is gone already, or will not go: killed below
        pass
    if root is not None:
        kill_tree(root)
