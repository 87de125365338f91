"""Where the course's own notebooks are: in an installed package, or in the checkout.

A wheel carries the lessons, the exercise handouts and the solutions as package data under
``course_utils/course/`` (see ``hatch_build.py``). A checkout, or an editable install of one,
keeps them beside the package, in ``notebooks/``, ``exercises/`` and ``solutions/``. Every
part of the course that reads them (the checks, the exercise generator, the grader, the
``functional-keras-course`` command) asks this module, so both layouts work the same way.

Example:
    >>> from course_utils.locations import solutions_folder
    >>> (solutions_folder() / "ex01_sequential.ipynb").is_file()
    True
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "COURSE_FOLDERS",
    "CourseFilesMissing",
    "course_folder",
    "exercises_folder",
    "is_checkout",
    "lessons_folder",
    "sanitize_file",
    "solutions_folder",
]

#: The three folders of notebooks, as they are named in the checkout and in the package.
COURSE_FOLDERS = ("notebooks", "exercises", "solutions")

_PACKAGE = Path(__file__).resolve().parent
_PACKAGED = _PACKAGE / "course"
_CHECKOUT = _PACKAGE.parent


class CourseFilesMissing(FileNotFoundError):
    """Neither the installed package nor a checkout around it holds the course's notebooks."""


def course_folder() -> Path:
    """The folder that holds ``notebooks/``, ``exercises/`` and ``solutions/``.

    The installed package's copy comes first; a checkout is recognised by its
    ``pyproject.toml`` beside the three folders.
    """
    if all((_PACKAGED / name).is_dir() for name in COURSE_FOLDERS):
        return _PACKAGED
    if is_checkout():
        return _CHECKOUT
    raise CourseFilesMissing(
        f"The course's notebooks were found neither in the package ({_PACKAGED}) nor in a checkout "
        f"around it ({_CHECKOUT}). Reinstall the course from its wheel or repository "
        "(`pip install functional-keras-course-*.whl`, or `pip install -e .` in a checkout)."
    )


def is_checkout() -> bool:
    """True when ``course_utils`` sits in the course's repository (an editable install included)."""
    return (_CHECKOUT / "pyproject.toml").is_file() and all((_CHECKOUT / name).is_dir() for name in COURSE_FOLDERS)


def lessons_folder() -> Path:
    """The lessons, ``00_welcome.ipynb`` … ``13_….ipynb``."""
    return course_folder() / "notebooks"


def exercises_folder() -> Path:
    """The exercise handouts learners fill in, ``ex01_….ipynb`` …"""
    return course_folder() / "exercises"


def solutions_folder() -> Path:
    """The solution notebooks: the single source of the exercises and their checks."""
    return course_folder() / "solutions"


def sanitize_file() -> Path:
    """nbval's sanitize rules for the course's stored outputs (``--nbval-sanitize-with``)."""
    return _PACKAGE / "nbval_sanitize.cfg"
