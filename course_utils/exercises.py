"""Write ``exercises/`` from ``solutions/``: the solutions are the single source.

For every ``solutions/exNN_topic.ipynb`` the exercise notebook gets the same cells,
ids and cell metadata (roles, questions, hints), with

* every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region replaced by a
  placeholder that runs without error (``# YOUR CODE HERE`` and ``...``);
* check cells unchanged;
* all outputs and execution counts removed, and no stored widget state.

The output is byte-for-byte reproducible. A malformed region (unclosed, unopened,
nested) stops the build with the notebook, cell and line.

Command line:
    python -m course_utils.exercises build            # (re)write exercises/
    python -m course_utils.exercises build --check    # only report what is out of date

Example:
    >>> build_all("solutions", "exercises")   # doctest: +SKIP
    ['ex01_sequential.ipynb', ...]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import nbformat

from course_utils.locations import exercises_folder, solutions_folder
from course_utils.notebooks import normalise
from course_utils.regions import RegionError, has_regions, strip_regions

__all__ = ["ExerciseBuildError", "build_all", "exercise_text"]


class ExerciseBuildError(ValueError):
    """A solution notebook that cannot become an exercise, with where and why."""


def exercise_text(solution: nbformat.NotebookNode, *, source_name: str = "notebook") -> str:
    """The exercise notebook, as the exact text to store, for one solution notebook."""
    notebook = copy.deepcopy(solution)
    notebook.metadata.pop("widgets", None)
    answers = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            if has_regions(cell.source):
                cell.source = strip_regions(cell.source)
                answers += 1
        except RegionError as error:
            raise ExerciseBuildError(f"{source_name}, cell {cell.get('id', '?')}: {error}") from error
        cell.outputs = []
        cell.execution_count = None
    if answers == 0:
        raise ExerciseBuildError(f"{source_name}: no '### BEGIN SOLUTION' region, so there is nothing to hand out.")
    normalise(notebook)
    notebook.metadata.pop("widgets", None)
    nbformat.validate(notebook)
    return json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def build_all(solutions: str | Path, exercises: str | Path, *, check: bool = False) -> list[str]:
    """Write (or, with ``check``, only compare) every exercise; return the names that changed."""
    solutions, exercises = Path(solutions), Path(exercises)
    sources = sorted(solutions.glob("ex*.ipynb"))
    if not sources:
        raise ExerciseBuildError(f"No solution notebooks (ex*.ipynb) in {solutions}.")
    changed = []
    for source in sources:
        text = exercise_text(nbformat.read(source, as_version=4), source_name=str(source))
        target = exercises / source.name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(source.name)
            if not check:
                exercises.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    stale = sorted(p.name for p in exercises.glob("ex*.ipynb") if not (solutions / p.name).exists())
    if stale:
        raise ExerciseBuildError(f"Exercises without a solution (remove them or add the solution): {', '.join(stale)}")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.exercises", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write exercises/ from solutions/")
    build.add_argument("--solutions", type=Path, default=solutions_folder(), help="folder of solution notebooks")
    build.add_argument("--exercises", type=Path, default=exercises_folder(), help="folder to write exercises into")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything is out of date")
    args = parser.parse_args(argv)
    try:
        changed = build_all(args.solutions, args.exercises, check=args.check)
    except ExerciseBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print("out of date (run `make exercises`): " + ", ".join(changed))
            return 1
        print("exercises/ is up to date")
        return 0
    print(f"wrote {len(changed)} exercise notebook(s)" + (": " + ", ".join(changed) if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
