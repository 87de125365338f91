"""Find submissions, name their students and tell which exercise each notebook is.

* :func:`discover` walks a folder (or takes one file) for ``.ipynb`` files and ``.zip``
  bundles of them; it reads bytes only, never writes, never extracts to disk, and skips
  hidden files and ``.ipynb_checkpoints``.
* :func:`read_notebook` parses the bytes (:class:`Unreadable` with the reason if they are
  not a notebook).
* :func:`student_of` takes ``metadata.course.student`` when the notebook has it, else
  the file name with the exercise name removed (``alice_ex01_sequential.ipynb`` →
  ``alice``), else the folder the file is in (``alice/ex01_sequential.ipynb`` → ``alice``),
  or what the ``student`` group of a pattern matches in the file's path.
* :func:`identify` names the exercise: the notebook's own cell ids (handed-out cells keep
  their ids), then ``metadata.course.exercise``, then the ``exercise("exNN_…")`` call of
  its setup, then the file name.

Example:
    >>> subs = discover(Path("submissions"))                       # doctest: +SKIP
    >>> subs[0].student, subs[0].file, subs[0].sha256[:8]          # doctest: +SKIP
    ('alice', 'alice_ex01_sequential.ipynb', '3f2a9c1e')
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat

__all__ = [
    "MAX_NOTEBOOK_BYTES",
    "Identification",
    "Submission",
    "Unreadable",
    "discover",
    "identify",
    "read_notebook",
    "student_of",
]

#: Larger notebooks are not read (status ``unreadable``): outputs never count, so a real answer is far smaller.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
_EXERCISE_NAME = re.compile(r"ex\d\d(?:_[A-Za-z0-9]+)*")
_SETUP_CALL = re.compile(r"""exercise\(\s*["'](?P<name>[^"']+)["']""")
_SAFE = re.compile(r"[^A-Za-z0-9@._+-]+")


class Unreadable(ValueError):
    """The bytes are not a notebook we can read; the message says why, for the gradebook."""


@dataclass(frozen=True)
class Submission:
    """One submitted notebook, as bytes: ``file`` is shown in the gradebook (``bundle.zip!a.ipynb`` inside zips)."""

    file: str
    data: bytes
    path_hint: str  # the path used to name the student (relative, POSIX)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Identification:
    """Which exercise a notebook is (``None``: could not tell) and what said so."""

    name: str | None
    evidence: str


def discover(root: Path) -> list[Submission]:
    """Every submission under ``root`` (a folder, a notebook or a zip), sorted by file.

    Example:
        >>> [s.file for s in discover(Path("submissions"))]   # doctest: +SKIP
        ['alice_ex01_sequential.ipynb', 'class.zip!bob/ex01_sequential.ipynb']
    """
    root = Path(root)
    if root.is_file():
        return sorted(_from_file(root, root.parent), key=lambda s: s.file)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder or file")
    found: list[Submission] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__MACOSX" for part in relative.parts) or not path.is_file():
            continue
        found.extend(_from_file(path, root))
    return sorted(found, key=lambda s: s.file)


def _from_file(path: Path, root: Path) -> Iterator[Submission]:
    relative = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_NOTEBOOK_BYTES else _too_large(size)
        yield Submission(relative, data, relative)
    elif suffix == ".zip":
        yield from _from_zip(path, relative)


def _too_large(size: int) -> bytes:
    return _unreadable_stub(f"too large ({size:,} bytes; the limit is {MAX_NOTEBOOK_BYTES:,})")


def _unreadable_stub(reason: str) -> bytes:
    """A stand-in that :func:`read_notebook` rejects with ``reason`` (the real bytes are never loaded)."""
    return json.dumps({"__unreadable__": reason}).encode()


def _from_zip(path: Path, relative: str) -> Iterator[Submission]:
    try:
        bundle = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        yield Submission(relative, _unreadable_stub(f"not a zip file ({error})"), relative)
        return
    with bundle:
        for info in sorted(bundle.infolist(), key=lambda i: i.filename):
            name = PurePosixPath(info.filename)
            if info.is_dir() or name.suffix.lower() != ".ipynb":
                continue
            if any(part.startswith(".") or part == "__MACOSX" for part in name.parts):
                continue
            file = f"{relative}!{info.filename}"
            if info.file_size > MAX_NOTEBOOK_BYTES:
                yield Submission(file, _too_large(info.file_size), f"{Path(relative).stem}/{info.filename}")
                continue
            try:
                with bundle.open(info) as member:
                    data = member.read(MAX_NOTEBOOK_BYTES + 1)  # never trust the declared size
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as error:
                data = _unreadable_stub(f"could not be unpacked ({error})")
            if len(data) > MAX_NOTEBOOK_BYTES:
                data = _too_large(len(data))
            yield Submission(file, data, f"{Path(relative).stem}/{info.filename}")


def read_notebook(data: bytes) -> nbformat.NotebookNode:
    """The notebook in ``data``, or :class:`Unreadable` saying why not.

    Example:
        >>> try:
        ...     read_notebook(b"{not json")
        ... except Unreadable as reason:
        ...     print(reason)
        invalid JSON (line 1, column 2)
    """
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise Unreadable(f"invalid JSON (line {error.lineno}, column {error.colno})") from None
    except RecursionError:
        raise Unreadable("invalid JSON (nested too deeply)") from None
    if isinstance(raw, dict) and len(raw) == 1 and isinstance(raw.get("__unreadable__"), str):
        raise Unreadable(raw["__unreadable__"])
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise Unreadable("not a Jupyter notebook (no list of cells)")
    try:
        notebook = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise Unreadable(f"not a valid notebook ({type(error).__name__}: {str(error).splitlines()[0][:200]})") from None
    for cell in notebook.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Unreadable("not a valid notebook (a cell of unknown type)")
        if not isinstance(cell.get("source", ""), str):
            raise Unreadable("not a valid notebook (a cell without text)")
    return notebook


def _course_metadata(notebook: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if notebook is None:
        return {}
    course = notebook.get("metadata", {}).get("course", {})
    return course if isinstance(course, Mapping) else {}


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text`` (for feedback files)."""
    return _SAFE.sub("_", text).strip("._") or "student"


def student_of(
    submission: Submission,
    notebook: Mapping[str, Any] | None,
    pattern: str | None = None,
    exercises: Iterable[str] = (),
) -> str:
    """The student's id: ``metadata.course.student``, a ``pattern`` match, or the file name.

    From the file name, the exercise's name is removed (one of ``exercises`` if given,
    else anything shaped like ``exNN_topic``), then separators at either end.

    Example:
        >>> student_of(Submission("ex01_sequential_bob.ipynb", b"", "ex01_sequential_bob.ipynb"), None,
        ...            exercises=["ex01_sequential"])
        'bob'
        >>> student_of(Submission("alice_ex01_sequential.ipynb", b"", "alice_ex01_sequential.ipynb"), None)
        'alice'
        >>> student_of(Submission("bob/ex01_sequential.ipynb", b"", "bob/ex01_sequential.ipynb"), None)
        'bob'
    """
    claimed = _course_metadata(notebook).get("student")
    if isinstance(claimed, str) and claimed.strip():
        return safe_name(claimed.strip())[:80]
    path = PurePosixPath(submission.path_hint)
    if pattern:
        match = re.search(pattern, submission.path_hint)
        if match and match.groupdict().get("student"):
            return safe_name(match["student"])[:80]
    stem = path.stem
    known = [name for name in sorted(exercises, key=len, reverse=True) if name in stem]
    stem = stem.replace(known[0], "", 1) if known else _EXERCISE_NAME.sub("", stem)
    stem = re.sub(r"(?:^[\s_\-.]+|[\s_\-.]+$)", "", stem)
    stem = re.sub(r"\s*\(\d+\)$", "", stem)  # "notebook (1).ipynb" from browsers
    if stem:
        return safe_name(stem)[:80]
    if len(path.parts) > 1:
        return safe_name(path.parts[-2])[:80]
    return safe_name(path.stem)[:80]


def identify(
    notebook: nbformat.NotebookNode, handouts: Mapping[str, nbformat.NotebookNode], file: str = ""
) -> Identification:
    """Which of the ``handouts`` (name → handout notebook) this notebook is.

    Handed-out cells keep their ids, so a notebook that still holds most of one
    handout's code-cell ids is that exercise, whatever its setup line says. Otherwise
    the notebook's own claim (metadata, then the setup call), then its file name.

    Example:
        >>> identify(notebook, {"ex01_sequential": handout}).name   # doctest: +SKIP
        'ex01_sequential'
    """
    ids = {cell.get("id") for cell in notebook.cells}
    best, best_share = None, 0.0
    for name, handout in handouts.items():
        theirs = {cell.get("id") for cell in handout.cells if cell.cell_type == "code"}
        share = len(ids & theirs) / max(1, len(theirs))
        if share > best_share:
            best, best_share = name, share
    if best is not None and best_share >= 0.5:
        return Identification(best, f"{best_share:.0%} of the handout's cell ids")
    claimed = _course_metadata(notebook).get("exercise")
    if isinstance(claimed, str) and claimed.strip():
        return Identification(claimed.strip(), "metadata.course.exercise")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            match = _SETUP_CALL.search(cell.source)
            if match:
                return Identification(match["name"], "its exercise(...) call")
    by_name = _EXERCISE_NAME.search(PurePosixPath(file.split("!")[-1]).stem)
    if by_name:
        name = by_name.group(0)
        for known in handouts:
            if known == name or known.startswith(name + "_") or name.startswith(known):
                return Identification(known, "its file name")
        return Identification(name, "its file name")
    return Identification(None, "no cell ids, metadata, setup call or file name named an exercise")
