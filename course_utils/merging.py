"""Merge layers on tiny numbers: call a merge eagerly and see its inputs and output side by side.

:func:`show_merge` calls a merge layer (``Add``, ``Concatenate``, ``Dot``… or a
custom one) directly on small NumPy arrays – no model needed – and returns a
:class:`MergeDemo`. As the last expression of a notebook cell it prints every input
and the output next to each other, rounded, with their shapes: the "before and
after" of the merge, in a text form that nbval can compare.

Example:
    >>> import keras, numpy as np
    >>> a = np.array([[1.0, 2.0]], dtype="float32")
    >>> b = np.array([[10.0, 20.0]], dtype="float32")
    >>> demo = show_merge(keras.layers.Add(), a, b)
    >>> demo.output.tolist()
    [[11.0, 22.0]]
    >>> print(demo)
    Add: 2 inputs -> output (1, 2)
    a (1, 2)    b (1, 2)      output (1, 2)
    [[1. 2.]] + [[10. 20.]] = [[11. 22.]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MergeDemo", "show_merge"]

# The sign drawn between the inputs in the printout, by merge class.
_OPERATORS: dict[str, str] = {
    "Add": "+",
    "Subtract": "-",
    "Multiply": "*",
    "Maximum": ",",
    "Minimum": ",",
    "Average": ",",
    "Concatenate": "|",
    "Dot": ".",
}


@dataclass(frozen=True)
class MergeDemo:
    """The inputs, the output and the name of one eager merge call.

    ``inputs`` maps each input's label (``"a"``, ``"b"``…) to its array;
    ``output`` is the merged array as NumPy. ``str(demo)`` is the side-by-side
    printout, rounded to ``digits`` decimals.
    """

    layer_name: str
    operator: str
    inputs: dict[str, np.ndarray]
    output: np.ndarray
    digits: int = 2

    def describe(self) -> str:
        """The side-by-side text: a header line, then the arrays in columns."""
        header = f"{self.layer_name}: {len(self.inputs)} inputs -> output {_shape(self.output)}"
        columns = [(f"{label} {_shape(array)}", _lines(array, self.digits)) for label, array in self.inputs.items()]
        columns.append((f"output {_shape(self.output)}", _lines(self.output, self.digits)))
        return header + "\n" + _side_by_side(columns, self.operator)

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return self.describe()


def show_merge(
    layer: Any,
    *arrays: Any,
    names: Sequence[str] | None = None,
    digits: int = 2,
) -> MergeDemo:
    """Call ``layer`` on ``arrays`` (as one list) and return the before/after view.

    Args:
        layer: a Keras merge layer, or any layer that takes a list of tensors.
        *arrays: the inputs, NumPy arrays (or nested lists) with a batch axis first.
            A single mapping ``{"label": array}`` is accepted too.
        names: labels for the inputs (default ``a``, ``b``, ``c``…).
        digits: decimals shown in the printout (the arrays themselves are not rounded).

    Raises:
        ValueError: when fewer than two inputs are given, or when the names do not
            match the inputs. Shape errors come from the layer itself, unchanged, so
            a notebook shows the real Keras message.

    Example:
        >>> import keras
        >>> show_merge(keras.layers.Maximum(), [[1.0, 5.0]], [[3.0, 2.0]]).output.tolist()
        [[3.0, 5.0]]
    """
    if len(arrays) == 1 and isinstance(arrays[0], Mapping):
        if names is not None:
            raise ValueError("Give the labels either as the mapping's keys or as names=..., not both.")
        names = list(arrays[0])
        arrays = tuple(arrays[0].values())
    if len(arrays) < 2:
        raise ValueError(f"A merge needs at least two inputs; show_merge was given {len(arrays)}.")
    if names is None:
        names = [chr(ord("a") + i) for i in range(len(arrays))]
    if len(names) != len(arrays):
        raise ValueError(f"Got {len(names)} names for {len(arrays)} inputs.")
    values = [np.asarray(array, dtype="float32") for array in arrays]

    import keras  # imported here, like the other course_utils modules, so importing this one stays cheap

    output = keras.ops.convert_to_numpy(layer(list(values)))
    class_name = type(layer).__name__
    return MergeDemo(
        layer_name=class_name,
        operator=_OPERATORS.get(class_name, ","),
        inputs=dict(zip(names, values)),
        output=np.asarray(output),
        digits=digits,
    )


# ------------------------------------------------------------------ internals
def _shape(array: np.ndarray) -> str:
    return "(" + ", ".join(str(d) for d in array.shape) + ("," if array.ndim == 1 else "") + ")"


def _lines(array: np.ndarray, digits: int) -> list[str]:
    # Rounding then adding 0.0 turns -0.0 into 0.0, so tiny negatives never print as "-0.".
    rounded = np.round(array.astype("float64"), digits) + 0.0
    text = np.array2string(rounded, precision=digits, floatmode="maxprec_equal", suppress_small=True)
    return text.splitlines()


def _side_by_side(columns: list[tuple[str, list[str]]], operator: str) -> str:
    """Columns of text next to each other; the operator sits between inputs, "=" before the output."""
    widths = [max(len(title), *(len(line) for line in lines)) for title, lines in columns]
    height = max(len(lines) for _, lines in columns)
    titles = [title.ljust(width) for (title, _), width in zip(columns, widths)]
    rows = [_join(titles, ["   "] * (len(columns) - 1)).rstrip()]
    for row in range(height):
        cells = []
        for index, (_, lines) in enumerate(columns):
            cells.append((lines[row] if row < len(lines) else "").ljust(widths[index]))
        if row == 0:
            signs = [f" {operator} "] * (len(columns) - 2) + [" = "]
        else:
            signs = ["   "] * (len(columns) - 1)
        rows.append(_join(cells, signs).rstrip())
    return "\n".join(rows)


def _join(cells: list[str], separators: list[str]) -> str:
    parts = [cells[0]]
    for separator, cell in zip(separators, cells[1:]):
        parts += [separator, cell]
    return "".join(parts)
