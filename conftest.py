"""pytest set-up for the whole repository: test runs never touch a learner's progress record.

Every process of a run (the xdist workers included) records checks in a temporary folder
of its own, and each notebook nbval runs gets a new, empty one before its kernel starts,
with the fixed clock that ``python -m course_utils.notebooks`` stores notebooks with
(:func:`course_utils.progress.reproducible_environment`). So the progress a stored
notebook shows is the same when nbval runs it again, whatever ran before it.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from nbval.plugin import IPyNbFile

from course_utils.progress import reproducible_environment

# The numeric set-up of every kernel nbval starts, the comparison mode in the header, and
# the tolerant comparison of numbers where exact floats cannot be had (course_utils.numerics).
pytest_plugins = ["course_utils.nbval_numbers"]

_folders: list[str] = []
_notebook: list[object] = [None]  # the notebook whose kernel has the current record


def _empty_record() -> None:
    folder = tempfile.mkdtemp(prefix="course-record-")
    _folders.append(folder)
    os.environ.update(reproducible_environment(folder))


def pytest_configure(config: pytest.Config) -> None:
    _empty_record()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before nbval's IPyNbFile.setup() starts the notebook's kernel, which inherits os.environ.
    if isinstance(item.parent, IPyNbFile) and item.parent is not _notebook[0]:
        _notebook[0] = item.parent
        _empty_record()


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _folders:
        shutil.rmtree(folder, ignore_errors=True)
