"""Pictures of what a model produces: image grids, mask overlays, attention heatmaps.

Every drawing function makes a new matplotlib ``Figure`` and returns it, so it can
be shown with ``plt.show()`` or handed to :class:`course_utils.widgets.PlotExplorer`
as its ``draw`` function. Nothing here imports Keras: give it NumPy arrays
(``model.predict`` returns them).

* :func:`image_grid` – one row per named stack of images (input / reconstruction…);
* :func:`overlay_mask` – a grey image with a mask painted on top, as RGB pixels;
* :func:`attention_heatmap` – an attention matrix (or one per head) as a heatmap.

Example:
    >>> import numpy as np
    >>> images = np.random.default_rng(0).uniform(size=(4, 16, 16, 1))
    >>> figure = image_grid({"input": images, "reconstruction": 1 - images})
    >>> len(figure.axes)
    8
    >>> overlay_mask(images, images > 0.5).shape
    (4, 16, 16, 3)
    >>> figure = attention_heatmap(np.eye(3), queries=["a", "b", "c"], keys=["a", "b", "c"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # matplotlib is imported only when something is drawn
    from matplotlib.figure import Figure

__all__ = ["attention_heatmap", "image_grid", "overlay_mask"]


def image_grid(
    rows: Mapping[str, ArrayLike],
    *,
    column_titles: Sequence[str] | None = None,
    title: str | None = None,
    cell_size: float = 1.1,
) -> Figure:
    """Draw named stacks of images as rows of a grid, one column per example.

    Args:
        rows: ``{"row label": images}``; every stack has the same number of images,
            each ``(height, width)``, ``(height, width, 1)`` (grey, values in [0, 1])
            or ``(height, width, 3)`` (RGB, e.g. from :func:`overlay_mask`).
        column_titles: one short title per column (for example the true class).
        title: a title over the whole grid.
        cell_size: size of one image in inches.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> figure = image_grid({"image": images, "mask": masks}, column_titles=["a", "b", "c", "d"])   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if not rows:
        raise ValueError('Give at least one row, e.g. image_grid({"input": images}).')
    stacks = {label: _as_stack(images, label) for label, images in rows.items()}
    counts = {label: len(stack) for label, stack in stacks.items()}
    if len(set(counts.values())) != 1:
        raise ValueError(f"Every row needs the same number of images; got {counts}.")
    n_columns = next(iter(counts.values()))
    if column_titles is not None and len(column_titles) != n_columns:
        raise ValueError(f"Give one column title per image ({n_columns}), not {len(column_titles)}.")

    # Margins in inches (row labels on the left, titles on top), turned into fractions below:
    # cheaper than tight_layout, which measures every one of the many small axes.
    left, top = 0.3, 0.05 + 0.22 * (column_titles is not None) + 0.3 * bool(title)
    width, height = cell_size * n_columns + left + 0.05, cell_size * len(stacks) + top + 0.05
    figure, axes = plt.subplots(len(stacks), n_columns, figsize=(width, height), squeeze=False)
    figure.subplots_adjust(
        left=left / width, right=1 - 0.05 / width, bottom=0.05 / height, top=1 - top / height, wspace=0.06, hspace=0.06
    )
    for row, (label, stack) in enumerate(stacks.items()):
        for column in range(n_columns):
            axis = axes[row, column]
            picture = stack[column]
            if picture.ndim == 2:  # grey: a fixed 0..1 scale, so dark stays dark in every panel
                axis.imshow(picture, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
            else:
                axis.imshow(np.clip(picture, 0.0, 1.0), interpolation="nearest")
            _bare(axis)
            if column == 0:
                axis.set_ylabel(label, fontsize=9)
            if row == 0 and column_titles is not None:
                axis.set_title(column_titles[column], fontsize=9)
    if title:
        figure.suptitle(title, fontsize=10, y=1 - 0.05 / height, va="top")
    return figure


def overlay_mask(
    images: ArrayLike,
    masks: ArrayLike,
    *,
    colour: tuple[float, float, float] = (1.0, 0.3, 0.1),
    alpha: float = 0.5,
    threshold: float = 0.5,
) -> np.ndarray:
    """Paint ``masks`` over grey ``images`` and return RGB pixels (for :func:`image_grid`).

    Pixels whose mask value is above ``threshold`` are blended with ``colour``
    (``alpha`` of colour, the rest grey); predicted probabilities work as masks too.
    Works on one image ``(h, w[, 1])`` or a stack ``(n, h, w[, 1])``.

    Example:
        >>> overlay_mask(np.zeros((8, 8, 1)), np.ones((8, 8, 1)))[0, 0].astype(float).round(2).tolist()
        [0.5, 0.15, 0.05]
    """
    grey = _drop_channel(np.asarray(images, dtype="float32"))
    inside = _drop_channel(np.asarray(masks, dtype="float32")) > threshold
    if grey.shape != inside.shape:
        raise ValueError(f"images and masks must have the same size, not {grey.shape} and {inside.shape}.")
    rgb = np.repeat(np.clip(grey, 0.0, 1.0)[..., None], 3, axis=-1)
    rgb[inside] = (1.0 - alpha) * rgb[inside] + alpha * np.asarray(colour, dtype="float32")
    return rgb


def attention_heatmap(
    weights: ArrayLike,
    *,
    queries: Sequence[str] | None = None,
    keys: Sequence[str] | None = None,
    head_titles: Sequence[str] | None = None,
    title: str | None = None,
    annotate: bool = False,
) -> Figure:
    """Draw attention weights: one row per query position, one column per key position.

    Args:
        weights: ``(queries, keys)`` for one matrix, or ``(heads, queries, keys)``
            for one panel per head (the scores of ``MultiHeadAttention`` for one
            example). Rows of attention weights sum to 1, so the colour scale is 0..1.
        queries, keys: tick labels (for example the tokens at each position).
        head_titles: one title per panel (default ``"head 0"``, ``"head 1"``…).
        title: a title over the figure.
        annotate: also write each weight, rounded to 2 decimals, in its cell.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> figure = attention_heatmap(scores[0], queries=list("abcd"), keys=list("abcd"))   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    matrices = np.asarray(weights, dtype="float32")
    if matrices.ndim == 2:
        matrices = matrices[None]
    if matrices.ndim != 3:
        raise ValueError(
            f"weights must be (queries, keys) or (heads, queries, keys), not shape {matrices.shape}; "
            "for a batch of scores pick one example first, e.g. scores[0]."
        )
    n_heads, n_queries, n_keys = matrices.shape
    expected = (("queries", queries, n_queries), ("keys", keys, n_keys), ("head_titles", head_titles, n_heads))
    for name, labels, size in expected:
        if labels is not None and len(labels) != size:
            raise ValueError(f"{name} needs {size} labels, not {len(labels)}.")
    if head_titles is None and n_heads > 1:
        head_titles = [f"head {h}" for h in range(n_heads)]

    panel_width, height = 0.42 * max(n_keys, 3) + 0.9, 0.42 * max(n_queries, 3) + 1.1
    figure, axes = plt.subplots(1, n_heads, figsize=(panel_width * n_heads + 0.8, height), squeeze=False)
    image = None
    for head, axis in enumerate(axes[0]):
        image = axis.imshow(matrices[head], cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
        axis.set_xticks(range(n_keys), labels=list(keys) if keys is not None else range(n_keys), fontsize=8)
        axis.set_yticks(range(n_queries), labels=list(queries) if queries is not None else range(n_queries), fontsize=8)
        axis.set_xlabel("key (attended to)", fontsize=8)
        if head == 0:
            axis.set_ylabel("query (looking)", fontsize=8)
        if head_titles is not None:
            axis.set_title(head_titles[head], fontsize=9)
        if annotate:
            for (row, column), value in np.ndenumerate(matrices[head]):
                axis.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=7,
                          color="black" if value > 0.6 else "white")
    figure.colorbar(image, ax=list(axes[0]), fraction=0.04, pad=0.03, label="weight")
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


# ------------------------------------------------------------------ internals
def _as_stack(images: ArrayLike, label: str) -> np.ndarray:
    """``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)`` -> grey ``(n, h, w)`` or RGB ``(n, h, w, 3)``."""
    stack = np.asarray(images, dtype="float32")
    if stack.ndim == 4 and stack.shape[-1] == 1:
        stack = stack[..., 0]
    if stack.ndim == 3 or (stack.ndim == 4 and stack.shape[-1] == 3):
        return stack
    raise ValueError(
        f"Row {label!r}: expected images shaped (n, height, width), (n, height, width, 1) "
        f"or (n, height, width, 3), not {stack.shape}."
    )


def _drop_channel(array: np.ndarray) -> np.ndarray:
    return array[..., 0] if array.ndim >= 3 and array.shape[-1] == 1 else array


def _bare(axis: Any) -> None:
    """No ticks and no frame, but keep the y label (the row's name)."""
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)
