"""Put the handed-out cells back before a submission runs, and say what was repaired.

The cells a learner is given to run, not to write – ``setup``, ``context``, ``check`` and
``progress`` – are taken from the canonical handout (``exercises/exNN_topic.ipynb``), whatever the
submission holds:

* a given cell is found by its cell id, else by its role metadata (role + question);
* a changed one is replaced by the handout's; if the learner had written code into it,
  that code is kept as a cell of its own just above, so no work is lost;
* a deleted one is re-inserted after the cell that precedes it in the handout;
* a second copy of a given cell (same id or role) becomes a plain learner cell.

Answer cells and the learner's own cells are left as they are. All outputs and
execution counts are dropped: nothing printed counts. Every repair is one sentence
in :attr:`Restored.repairs`.

Example:
    >>> restored = restore(submission, handout)          # doctest: +SKIP
    >>> restored.repairs                                  # doctest: +SKIP
    ['check cell of q1 (9dd283ac) was changed: the handout's version was used, your text kept above it']
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import nbformat

__all__ = ["GIVEN_ROLES", "Restored", "course_of", "restore"]

#: Cell roles whose code comes from the handout, never from the submission.
GIVEN_ROLES = ("setup", "context", "check", "progress")


@dataclass
class Restored:
    """The notebook to run and the repairs made to get it."""

    notebook: nbformat.NotebookNode
    repairs: list[str] = field(default_factory=list)


def course_of(cell: nbformat.NotebookNode) -> dict:
    """A cell's course metadata (role, question…), or {} for a cell without any."""
    course = cell.get("metadata", {}).get("course", {})
    return course if isinstance(course, dict) else {}


def _key(cell: nbformat.NotebookNode) -> tuple[str, str] | None:
    """(role, question) of a given cell, None for anything else."""
    course = course_of(cell)
    role = course.get("role")
    if role not in GIVEN_ROLES:
        return None
    return (str(role), str(course.get("question", "")))


def _describe(cell: nbformat.NotebookNode) -> str:
    role, question = _key(cell) or ("", "")
    what = f"{role} cell" + (f" of {question}" if question else "")
    return f"{what} ({cell.get('id', '?')})"


def _plain_code(source: str, cell_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.id = cell_id
    return cell


def restore(submission: nbformat.NotebookNode, handout: nbformat.NotebookNode) -> Restored:
    """The submission with every given cell of ``handout`` restored; neither input is changed.

    Example:
        >>> fixed = restore(nbformat.read("alice.ipynb", 4), nbformat.read("exercises/ex01_sequential.ipynb", 4))  # doctest: +SKIP
    """
    given = [cell for cell in handout.cells if cell.cell_type == "code" and _key(cell) is not None]
    by_id = {cell.id: cell for cell in given}
    by_key = {_key(cell): cell for cell in given}
    repairs: list[str] = []
    cells: list[nbformat.NotebookNode] = []
    placed: dict[str, int] = {}  # handout cell id -> index in `cells`
    used_ids: set[str] = set()

    for index, original in enumerate(submission.cells):
        cell = copy.deepcopy(original)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell_id = str(cell.get("id") or f"submitted-{index}")
        canonical = by_id.get(cell_id)
        if canonical is None and _key(cell) in by_key:
            canonical = by_key[_key(cell)]  # found by its role: its id was changed
        if canonical is not None and canonical.id in placed:
            if cell.cell_type == "code" and cell.source.strip() and cell.source != canonical.source:
                cells.append(_plain_code(cell.source, f"{cell_id}-own-{index}"))
                repairs.append(f"a second copy of the {_describe(canonical)} was run as your own cell")
            else:
                repairs.append(f"a second copy of the {_describe(canonical)} was left out")
            continue
        if canonical is None:
            if cell.cell_type == "code" and _key(cell) is not None:
                cell.metadata.pop("course", None)  # claims a given role the handout does not have
                repairs.append(f"cell {cell_id} claimed the role {_key(original)}; it was run as your own cell")
            cell.id = _unique(cell_id, used_ids)
            used_ids.add(cell.id)
            cells.append(cell)
            continue
        fresh = copy.deepcopy(canonical)
        fresh.outputs, fresh.execution_count = [], None
        changed = []
        if cell.cell_type != "code":
            changed.append(f"turned into a {cell.cell_type} cell")
        elif cell.source != canonical.source:
            changed.append("changed")
        if course_of(cell) != course_of(canonical):
            changed.append("had its metadata changed")
        if cell_id != canonical.id:
            changed.append(f"had its id changed to {cell_id}")
        if changed:
            kept = cell.cell_type == "code" and cell.source.strip() and cell.source != canonical.source
            if kept:
                cells.append(_plain_code(cell.source, _unique(f"{canonical.id}-own", used_ids)))
                used_ids.add(cells[-1].id)
            repairs.append(
                f"the {_describe(canonical)} was {' and '.join(changed)}: the handout's version was used"
                + ("; your text was kept as a cell just above it" if kept else "")
            )
        placed[canonical.id] = len(cells)
        used_ids.add(canonical.id)
        cells.append(fresh)

    # Re-insert deleted given cells, each after the cell that precedes it in the handout.
    for position, canonical in enumerate(handout.cells):
        if canonical.cell_type != "code" or _key(canonical) is None or canonical.id in placed:
            continue
        at = 0
        for earlier in reversed(handout.cells[:position]):
            anchor = _index_of(cells, earlier)
            if anchor is not None:
                at = anchor + 1
                break
        fresh = copy.deepcopy(canonical)
        fresh.outputs, fresh.execution_count = [], None
        if fresh.id in used_ids:
            fresh.id = _unique(fresh.id, used_ids)
        cells.insert(at, fresh)
        used_ids.add(fresh.id)
        placed = {cid: (i + 1 if i >= at else i) for cid, i in placed.items()}
        placed[canonical.id] = at
        repairs.append(f"the {_describe(canonical)} was missing and was put back")

    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(handout.metadata))
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return Restored(notebook, repairs)


def _index_of(cells: list[nbformat.NotebookNode], wanted: nbformat.NotebookNode) -> int | None:
    for index, cell in enumerate(cells):
        if cell.get("id") == wanted.get("id"):
            return index
    return None


def _unique(cell_id: str, used: set[str]) -> str:
    candidate, n = cell_id, 1
    while candidate in used:
        n += 1
        candidate = f"{cell_id}-{n}"
    return candidate
