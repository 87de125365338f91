"""A pytest plugin for nbval runs of the course: the numeric set-up, its header line, tolerant numbers.

Loaded by the repository's ``conftest.py``, and by hand from an installed course with
``python -m pytest -p course_utils.nbval_numbers --nbval ...``. It

* gives the notebooks' kernels the course's numeric set-up (:func:`course_utils.numerics.apply_kernel_environment`;
  nbval's kernels inherit this process's environment);
* prints which comparison the run uses, and why, at the top of the run;
* in the tolerant mode only (:func:`course_utils.numerics.comparison_mode`), lets a fresh text output
  stand for its stored one when the two differ in nothing but decimal numbers, each within
  :data:`course_utils.numerics.TOLERANCE`. Anything else — a word, a shape, a parameter count,
  one number more or less, a number beyond the tolerance — is left for nbval to report as usual.

Example:
    python -m pytest -p course_utils.nbval_numbers --nbval --nbval-current-env notebooks/07_skip_connections.ipynb
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from course_utils.numerics import apply_kernel_environment, comparison_mode, numbers_agree

__all__ = ["agree_within_tolerance"]

_original: list[Any] = []


def agree_within_tolerance(fresh: list[dict[str, Any]], stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of ``fresh`` in which every text that agrees with ``stored`` within the tolerance is the stored text.

    Outputs are paired in order; pairs of different kinds are left alone.

    >>> out = agree_within_tolerance([{"output_type": "stream", "name": "stdout", "text": "loss 0.416"}],
    ...                              [{"output_type": "stream", "name": "stdout", "text": "loss 0.414"}])
    >>> out[0]["text"]
    'loss 0.414'
    """
    fresh = copy.deepcopy(fresh)
    for new, old in zip(fresh, stored):
        if new.get("output_type") != old.get("output_type") or new.get("name") != old.get("name"):
            continue
        if isinstance(new.get("text"), str) and isinstance(old.get("text"), str):
            if numbers_agree(old["text"], new["text"]):
                new["text"] = old["text"]
        new_data, old_data = new.get("data"), old.get("data")
        if isinstance(new_data, dict) and isinstance(old_data, dict):
            for mime, value in new_data.items():
                if isinstance(value, str) and isinstance(old_data.get(mime), str) and numbers_agree(old_data[mime], value):
                    new_data[mime] = old_data[mime]
    return fresh


def pytest_configure(config: pytest.Config) -> None:
    apply_kernel_environment()
    if not config.pluginmanager.hasplugin("nbval") or not comparison_mode().tolerant:
        return
    from nbval.plugin import IPyNbCell

    original = IPyNbCell.compare_outputs
    _original.append(original)

    def compare_outputs(self: IPyNbCell, test: list[Any], ref: list[Any], skip_compare: Any = None) -> bool:
        # nbval hands both lists over with consecutive stream pieces already joined.
        return original(self, agree_within_tolerance(test, ref), ref, skip_compare)

    IPyNbCell.compare_outputs = compare_outputs


def pytest_unconfigure(config: pytest.Config) -> None:
    if _original:
        from nbval.plugin import IPyNbCell

        IPyNbCell.compare_outputs = _original.pop()


def pytest_report_header(config: pytest.Config) -> str:
    return comparison_mode().header()
