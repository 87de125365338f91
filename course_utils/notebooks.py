"""Execute course notebooks top to bottom and store them tidily (for maintainers).

Stored outputs must come from a real, fresh, top-to-bottom run: this module runs a
notebook in a new kernel (the course kernel, ``python3``) whose progress record starts
empty in a temporary folder, with a fixed clock (as nbval's kernels have, see the
repository's ``conftest.py``), then normalises the JSON
so that diffs show only what changed: nbformat 4.5, stable cell ids, no execution
timing metadata, sorted keys and a trailing newline.

Command line:
    python -m course_utils.notebooks notebooks/01_sequential.ipynb [more.ipynb ...]

Example:
    >>> execute_notebook("notebooks/00_welcome.ipynb")   # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_utils.numerics import comparison_mode, kernel_environment
from course_utils.progress import reproducible_environment

__all__ = ["NotTheReferenceMachine", "execute_notebook", "normalise", "write_notebook"]

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class NotTheReferenceMachine(Exception):
    """This machine computes other floats than the ones the course stores (see :mod:`course_utils.numerics`)."""


def execute_notebook(path: str | Path, *, timeout: int = 600, timings: bool = False, other_machine: bool = False) -> float:
    """Run the notebook at ``path`` in a fresh kernel and store it with its outputs.

    The kernel gets the course's numeric set-up (:func:`course_utils.numerics.kernel_environment`),
    whatever this shell has set. Where that set-up cannot give the reference floats (another
    processor family, no AVX2, another L1 data cache: :func:`course_utils.numerics.comparison_mode`),
    it refuses to store unless ``other_machine`` is true.

    Cells tagged ``raises-exception`` may raise; any other error stops the run and
    leaves the file untouched. Returns the wall time in seconds. With ``timings``
    it also prints the time spent after the first (import) cell and the slowest cells.
    """
    path = Path(path)
    environment = {**os.environ, **kernel_environment()}
    mode = comparison_mode(environment)
    if mode.tolerant and not other_machine:
        raise NotTheReferenceMachine(
            f"{path}: not stored — stored outputs are made where they reproduce exactly ({mode.reason}). "
            "Store them on a machine like the reference one (Linux x86-64, AVX2, 32 KiB L1 data cache), "
            "or pass other_machine=True (--other-machine) to store anyway."
        )
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=True,
    )
    durations: list[float] = []
    started: list[float] = []
    client.on_cell_execute = lambda cell, cell_index: started.append(time.perf_counter())
    client.on_cell_executed = lambda cell, cell_index, execute_reply: durations.append(time.perf_counter() - started[-1])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-record-") as record:
        # A learner's own progress, and today's date, never reach a stored output.
        client.execute(env={**environment, **reproducible_environment(record)})
    elapsed = time.perf_counter() - start
    write_notebook(notebook, path)
    if timings:
        slowest = sorted(range(len(durations)), key=durations.__getitem__, reverse=True)[:3]
        print(
            f"{path}: first cell (kernel warm-up, imports) {durations[0]:.1f} s; "
            f"after it {sum(durations[1:]):.1f} s; slowest cells: "
            + ", ".join(f"#{i + 1} {durations[i]:.1f} s" for i in slowest)
        )
    return elapsed


def normalise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Tidy a notebook in place: stable ids, minimal metadata, no empty cells."""
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    widgets_state = notebook.metadata.get("widgets")
    notebook.metadata = nbformat.NotebookNode(
        kernelspec=KERNELSPEC, language_info={"name": "python", "pygments_lexer": "ipython3"}
    )
    if widgets_state:
        notebook.metadata["widgets"] = widgets_state
    cells = []
    used: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        source = cell.source.strip("\n") if isinstance(cell.source, str) else "".join(cell.source).strip("\n")
        if not source.strip():
            continue
        cell.source = source
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell_id = cell.get("id") or f"cell-{index:03d}"
        while cell_id in used:
            cell_id += "-b"
        cell.id = cell_id
        used.add(cell_id)
        cells.append(cell)
    notebook.cells = cells
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, path: str | Path) -> None:
    """Normalise and write with sorted keys, indent 1 and a trailing newline."""
    normalise(notebook)
    nbformat.validate(notebook)
    text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    Path(path).write_text(_renumber_widget_ids(text, notebook), encoding="utf-8")


def _merge_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Join consecutive stdout (or stderr) pieces: how prints are split depends on timing."""
    merged: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = previous["text"] + output["text"]
        else:
            merged.append(output)
    return merged


def _renumber_widget_ids(text: str, notebook: nbformat.NotebookNode) -> str:
    """Replace random widget model ids by ids numbered in creation order, so re-runs diff cleanly."""
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    if not state:
        return text
    numbers = {model_id: f"{number:032x}" for number, model_id in enumerate(state, start=1)}
    # One pass: ids that are already numbers (a notebook written twice) must not be renumbered twice.
    pattern = re.compile("|".join(re.escape(model_id) for model_id in sorted(numbers, key=len, reverse=True)))
    return pattern.sub(lambda match: numbers[match.group(0)], text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.notebooks",
        description="Execute course notebooks top to bottom in a fresh kernel and store them normalised.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks to execute")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    parser.add_argument("--timings", action="store_true", help="print time after the first cell and the slowest cells")
    parser.add_argument(
        "--other-machine", action="store_true",
        help="store even where the course's numbers do not reproduce exactly (see course_utils.numerics)",
    )
    args = parser.parse_args(argv)
    status = 0
    for path in args.paths:
        if not path.is_file():
            print(f"{path}: no such notebook", file=sys.stderr)
            status = 2
            continue
        try:
            seconds = execute_notebook(path, timeout=args.timeout, timings=args.timings, other_machine=args.other_machine)
        except NotTheReferenceMachine as problem:
            print(problem, file=sys.stderr)
            return 2
        except CellExecutionError as error:
            print(f"{path}: a cell failed, the file was left unchanged.\n{error}", file=sys.stderr)
            status = 1
            continue
        print(f"{path}: executed in {seconds:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
