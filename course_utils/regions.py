"""Answer regions in solution code: ``### BEGIN SOLUTION`` … ``### END SOLUTION``.

The markers are nbgrader's, so instructors who use nbgrader recognise them. A
region's lines are the answer; :func:`strip_regions` swaps each region for a
placeholder that still runs (``# YOUR CODE HERE`` and ``...`` at the region's
indentation), and :func:`region_text` returns the answer itself.

Example:
    >>> source = "def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION\\n"
    >>> print(strip_regions(source))
    def f():
        # YOUR CODE HERE
        ...
    <BLANKLINE>
    >>> region_text(source)
    'return 1'
"""

from __future__ import annotations

import re

__all__ = ["BEGIN", "END", "RegionError", "has_regions", "region_text", "strip_regions"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<kind>BEGIN|END) SOLUTION\s*$")


class RegionError(ValueError):
    """An unclosed, unopened or nested region, with the line it was found on."""


def _regions(source: str) -> list[tuple[int, int, str]]:
    """(begin line, end line, indentation) of every region; raises RegionError on bad nesting."""
    found = []
    open_at: tuple[int, str] | None = None
    for number, line in enumerate(source.splitlines()):
        match = _MARKER.match(line)
        if not match:
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                raise RegionError(f"line {number + 1}: a solution marker must stand alone on its line: {line.strip()!r}")
            continue
        if match["kind"] == "BEGIN":
            if open_at is not None:
                raise RegionError(f"line {number + 1}: a region is opened inside the region opened on line {open_at[0] + 1}")
            open_at = (number, match["indent"])
        else:
            if open_at is None:
                raise RegionError(f"line {number + 1}: '{END}' without a '{BEGIN}' before it")
            found.append((open_at[0], number, open_at[1]))
            open_at = None
    if open_at is not None:
        raise RegionError(f"line {open_at[0] + 1}: '{BEGIN}' is never closed with '{END}'")
    return found


def has_regions(source: str) -> bool:
    """True when ``source`` holds at least one (well-formed) region."""
    return bool(_regions(source))


def strip_regions(source: str) -> str:
    """Replace every region by a placeholder that runs without error."""
    lines = source.splitlines()
    keep_newline = source.endswith("\n")
    for begin, end, indent in reversed(_regions(source)):
        lines[begin : end + 1] = [f"{indent}# YOUR CODE HERE", f"{indent}..."]
    return "\n".join(lines) + ("\n" if keep_newline else "")


def region_text(source: str) -> str:
    """The answer lines of every region, dedented, regions separated by a blank line."""
    lines = source.splitlines()
    parts = []
    for begin, end, indent in _regions(source):
        body = lines[begin + 1 : end]
        parts.append("\n".join(line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in body))
    return "\n\n".join(part.strip("\n") for part in parts)
