"""Hatchling build hook: the wheel carries the course itself.

A built wheel gets every notebook of ``notebooks/`` (lessons), ``exercises/`` (handouts) and
``solutions/`` as package data under ``course_utils/course/``, read from the repository's own
folders, so nothing is committed twice. An editable install (``pip install -e .``) gets none:
there :mod:`course_utils.locations` finds the folders in the checkout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COURSE_FOLDERS = ("notebooks", "exercises", "solutions")
PACKAGED_AT = "course_utils/course"


class CourseFilesHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        for folder in COURSE_FOLDERS:
            notebooks = sorted((Path(self.root) / folder).glob("*.ipynb"))
            if not notebooks:
                raise FileNotFoundError(f"{folder}/ has no notebooks; the wheel would ship an incomplete course")
            for path in notebooks:
                build_data["force_include"][str(path)] = f"{PACKAGED_AT}/{folder}/{path.name}"
