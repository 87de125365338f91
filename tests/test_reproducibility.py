"""Stored numbers reproduce on simulated machines: the slow tier of issue 18.

The most numeric lessons (07, 10 and 13: training of convolutions with BatchNormalization, deep
stacks, attention) run under nbval, each in its own pytest process, on simulated machines:

* where the course's pin applies, the outputs must equal the stored ones exactly: the native
  instruction set of this machine (AVX2 or AVX-512), one core and two cores (``taskset``), an
  explicit AVX2 cap (a machine that has no more than AVX2), another OpenBLAS kernel;
* on a deliberately different arithmetic path (oneDNN capped at SSE4.1, which no supported
  x86-64 machine takes, as Apple silicon or ARM Linux take other paths), the exact comparison
  fails, and the tolerant one of ``course_utils.numerics`` passes;
* a stored number moved beyond the tolerance fails the tolerant comparison.

Run alone with ``python -m pytest -m slow tests/test_reproducibility.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from course_utils.numerics import COMPARISON_VARIABLE, PINNED, TOLERANCE, comparison_mode, kernel_environment

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NUMERIC_LESSONS = [ROOT / "notebooks" / f"{name}.ipynb" for name in ("07_skip_connections", "10_attention", "13_architecture_gallery")]
TAMPERED_LESSON = NUMERIC_LESSONS[0]
SWITCHES = ("ONEDNN_MAX_CPU_ISA", "TF_NUM_INTRAOP_THREADS", "OPENBLAS_CORETYPE", COMPARISON_VARIABLE)


def _cores() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def _nbval(paths: list[Path], env: dict[str, str], cores: list[int] | None = None) -> subprocess.CompletedProcess[str]:
    """nbval on ``paths`` in a pytest process of its own, with the course's plugin (also for copies outside the checkout)."""
    command = [
        sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "course_utils.nbval_numbers", "-rf",
        "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), *map(str, paths),
    ]
    if cores is not None:
        command = ["taskset", "-c", ",".join(map(str, cores)), *command]
    base = {k: v for k, v in os.environ.items() if k not in SWITCHES and not k.startswith("PYTEST_")}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**base, **env}, timeout=1800)


def _failed_cells(result: subprocess.CompletedProcess[str]) -> list[str]:
    return re.findall(r"^FAILED (\S*::Cell \d+)", result.stdout, flags=re.MULTILINE)


PINNED_MACHINES = {
    "native instruction set, every core": ({}, None),
    "one core (taskset -c 0)": ({}, "first"),
    "two cores (taskset -c 0,1)": ({}, "two"),
    "an AVX2-only machine (ONEDNN_MAX_CPU_ISA=AVX2)": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, None),
    "another OpenBLAS kernel (OPENBLAS_CORETYPE=Haswell)": ({"OPENBLAS_CORETYPE": "Haswell"}, None),
}


@pytest.fixture(scope="module")
def pinned_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """Every simulated machine, two at a time (each kernel runs TensorFlow on one thread)."""
    if not shutil.which("taskset"):
        pytest.fail("taskset (util-linux) is needed to simulate a one-core machine")
    cores = _cores()

    def run(item: tuple[str, tuple[dict[str, str], str | None]]) -> tuple[str, subprocess.CompletedProcess[str]]:
        name, (env, which) = item
        chosen = None if which is None else cores[:1] if which == "first" else cores[:2]
        return name, _nbval(NUMERIC_LESSONS, env, chosen)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, PINNED_MACHINES.items()))


@pytest.mark.parametrize("machine", list(PINNED_MACHINES))
def test_stored_numbers_repeat_exactly_where_the_pin_applies(pinned_runs, machine):
    # Exact on a machine like the storing one; a machine the pin cannot cover (another L1 data cache)
    # runs tolerant, says so, and must still pass.
    expected = comparison_mode(kernel_environment())
    result = pinned_runs[machine]
    assert f"course outputs: {expected.name} comparison" in result.stdout, result.stdout[:2000]
    assert result.returncode == 0, f"{machine}: {_failed_cells(result)}\n{result.stdout[-4000:]}"
    assert re.search(r"\b\d+ passed\b", result.stdout)


def test_the_pin_is_what_the_kernels_get():
    assert PINNED == {k: v for k, v in kernel_environment(machine="x86_64").items() if k in PINNED}
    if len(_cores()) < 2:
        pytest.fail("the one-core versus two-core comparison needs a machine with two cores")


@pytest.fixture(scope="module")
def other_arithmetic() -> dict[str, subprocess.CompletedProcess[str]]:
    """Lesson 07 on oneDNN's SSE4.1 kernels, compared exactly and with the tolerance."""
    path = [TAMPERED_LESSON]
    cap = {"ONEDNN_MAX_CPU_ISA": "SSE41"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        exact = pool.submit(_nbval, path, {**cap, COMPARISON_VARIABLE: "exact"})
        tolerant = pool.submit(_nbval, path, dict(cap))  # the mode chosen by itself: the cap is not the pin
        return {"exact": exact.result(), "tolerant": tolerant.result()}


def test_another_arithmetic_path_fails_the_exact_comparison(other_arithmetic):
    result = other_arithmetic["exact"]
    assert "course outputs: exact comparison" in result.stdout
    assert result.returncode != 0 and _failed_cells(result), "SSE4.1 arithmetic gave the stored floats: the test proves nothing"


def test_another_arithmetic_path_passes_within_the_tolerance(other_arithmetic):
    result = other_arithmetic["tolerant"]
    assert f"course outputs: tolerant comparison of decimal numbers ({TOLERANCE})" in result.stdout
    assert "ONEDNN_MAX_CPU_ISA=SSE41" in result.stdout  # the header says why
    assert result.returncode == 0, f"{_failed_cells(result)}\n{result.stdout[-4000:]}"


def _move_one_number(notebook: nbformat.NotebookNode) -> tuple[int, str, str]:
    """Move the last printed decimal of the last training cell beyond the tolerance; returns (code cell, old, new)."""
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for index in range(len(code_cells) - 1, -1, -1):
        for output in code_cells[index].outputs:
            text = output.get("text", "")
            numbers = list(re.finditer(r"(?<![\w.])\d+\.\d{3}(?![\w.])", text)) if "loss" in text else []
            if numbers:
                last = numbers[-1]
                old = float(last.group())
                new = f"{old + 10 * (TOLERANCE.absolute + TOLERANCE.relative * old):.3f}"
                output["text"] = text[: last.start()] + new + text[last.end():]
                return index, last.group(), new
    raise AssertionError("no printed loss in the lesson")


def test_a_stored_number_moved_beyond_the_tolerance_fails(tmp_path):
    notebook = nbformat.read(TAMPERED_LESSON, as_version=4)
    index, old, new = _move_one_number(notebook)
    copy = tmp_path / TAMPERED_LESSON.name
    nbformat.write(notebook, copy)
    result = _nbval([copy], {COMPARISON_VARIABLE: "tolerant"})
    assert "course outputs: tolerant comparison" in result.stdout
    failed = _failed_cells(result)
    assert [f.split("::")[-1] for f in failed] == [f"Cell {index}"], (
        f"moved {old} -> {new} in code cell {index}; failed: {failed}\n{result.stdout[-3000:]}"
    )
