"""Seeded synthetic data for the lessons: pure numpy, small, never downloaded.

Every function takes ``seed`` and returns the same arrays for the same arguments,
on every machine. Sizes are chosen so that a lesson trains in seconds on 2 CPU cores.

Example:
    >>> x, y = tabular_classes(n=6, seed=0)
    >>> x.shape, y.shape
    ((6, 8), (6,))
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SHAPE_NAMES",
    "pairs",
    "segmentation_masks",
    "shape_images",
    "tabular_classes",
    "token_sequences",
    "two_input_records",
    "user_item_likes",
]

#: Class names of :func:`shape_images`, in label order.
SHAPE_NAMES: tuple[str, ...] = ("circle", "square", "triangle")


def tabular_classes(
    n: int = 1000, n_features: int = 8, n_classes: int = 3, *, spread: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Points in ``n_features`` dimensions scattered around one centre per class.

    Returns ``x`` (float32, shape ``(n, n_features)``) and integer labels ``y``
    (shape ``(n,)``). A larger ``spread`` makes the classes overlap more.

    Example:
        >>> x, y = tabular_classes(n=100, n_features=4, n_classes=2, seed=1)
        >>> sorted(set(y.tolist()))
        [0, 1]
    """
    _check_positive(n=n, n_features=n_features, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, size=(n_classes, n_features))
    y = rng.integers(0, n_classes, size=n)
    x = centres[y] + rng.normal(0.0, spread, size=(n, n_features))
    return x.astype("float32"), y.astype("int64")


def shape_images(
    n: int = 600, size: int = 16, *, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Small grey images of a circle, a square or a triangle at a random place and size.

    Returns images (float32, shape ``(n, size, size, 1)``, values in [0, 1]) and
    labels (indices into :data:`SHAPE_NAMES`).

    Example:
        >>> images, labels = shape_images(n=3, size=12, seed=0)
        >>> images.shape
        (3, 12, 12, 1)
    """
    images, masks, labels = _draw_shapes(n, size, noise, seed)
    return images, labels


def segmentation_masks(
    n: int = 400, size: int = 16, *, noise: float = 0.15, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy shape images with the pixel mask of the shape, for segmentation.

    Returns images and masks, both float32 with shape ``(n, size, size, 1)``;
    the mask is 1 inside the shape and 0 elsewhere.

    Example:
        >>> images, masks = segmentation_masks(n=2, size=8, seed=0)
        >>> set(np.unique(masks).tolist()) <= {0.0, 1.0}
        True
    """
    images, masks, _ = _draw_shapes(n, size, noise, seed)
    return images, masks


def two_input_records(
    n: int = 800, size: int = 16, *, seed: int = 0
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Records with two kinds of input: a small shape image and a row of metadata.

    The label (0 or 1) depends on *both*: it is 1 when the picture is a circle or
    the metadata's first column (``"brightness"``) is above 0.5 — so a model that
    sees only one input cannot be perfect. Metadata columns: brightness, size, a
    useless noise column.

    Returns ``({"image": (n, size, size, 1), "meta": (n, 3)}, y)``.

    Example:
        >>> inputs, y = two_input_records(n=4, seed=0)
        >>> sorted(inputs), inputs["meta"].shape
        (['image', 'meta'], (4, 3))
    """
    images, masks, labels = _draw_shapes(n, size, 0.1, seed)
    rng = np.random.default_rng(seed + 1)
    brightness = rng.uniform(0.0, 1.0, size=n)
    area = masks.reshape(n, -1).mean(axis=1)
    meta = np.stack([brightness, area * 4.0, rng.normal(0.0, 1.0, size=n)], axis=1).astype("float32")
    y = ((labels == 0) | (brightness > 0.5)).astype("int64")
    return {"image": images, "meta": meta}, y


def token_sequences(
    n: int = 1000, length: int = 8, vocab_size: int = 10, *, task: str = "reverse", seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Integer token sequences and a target sequence for a simple task.

    Tokens are drawn from ``1 .. vocab_size - 1`` (0 is kept for padding).
    ``task`` is one of:

    * ``"reverse"`` – the target is the sequence backwards;
    * ``"sort"`` – the target is the sequence in ascending order;
    * ``"copy"`` – the target is the sequence itself.

    Returns ``x`` and ``y``, both int64 with shape ``(n, length)``.

    Example:
        >>> x, y = token_sequences(n=2, length=4, seed=0)
        >>> bool((y == x[:, ::-1]).all())
        True
    """
    _check_positive(n=n, length=length)
    if vocab_size < 3:
        raise ValueError(f"vocab_size must be at least 3 (0 is padding), not {vocab_size}.")
    tasks = {"reverse": lambda s: s[:, ::-1], "sort": lambda s: np.sort(s, axis=1), "copy": lambda s: s.copy()}
    if task not in tasks:
        raise ValueError(f"task must be one of {sorted(tasks)}, not {task!r}.")
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab_size, size=(n, length))
    return x.astype("int64"), tasks[task](x).astype("int64")


def pairs(
    n: int = 1000, n_features: int = 8, n_classes: int = 4, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of tabular points and whether both come from the same class.

    Half the pairs are "same" (label 1), half "different" (label 0), in random order.
    Built on :func:`tabular_classes`, for Siamese networks.

    Returns ``left``, ``right`` (float32, ``(n, n_features)``) and ``same`` (``(n,)``).

    Example:
        >>> left, right, same = pairs(n=10, seed=0)
        >>> int(same.sum())
        5
    """
    _check_positive(n=n, n_features=n_features)
    if n_classes < 2:
        raise ValueError(f"pairs need at least 2 classes, not {n_classes}.")
    pool_x, pool_y = tabular_classes(4 * n, n_features, n_classes, seed=seed)
    rng = np.random.default_rng(seed + 7)
    by_class = [np.flatnonzero(pool_y == c) for c in range(n_classes)]
    same = np.zeros(n, dtype="int64")
    same[: n // 2] = 1
    rng.shuffle(same)
    left_idx = np.empty(n, dtype="int64")
    right_idx = np.empty(n, dtype="int64")
    for i, is_same in enumerate(same):
        a = rng.integers(n_classes)
        b = a if is_same else (a + rng.integers(1, n_classes)) % n_classes
        left_idx[i] = rng.choice(by_class[a])
        right_idx[i] = rng.choice(by_class[b])
    return pool_x[left_idx], pool_x[right_idx], same


def user_item_likes(
    n: int = 3000, n_users: int = 100, n_items: int = 50, *, factors: int = 2, seed: int = 0
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Which items users liked, for a recommender: two id inputs and a like (1) or not (0).

    Every user and every item has ``factors`` hidden traits; a user likes an item when
    their traits agree (a positive dot product, blurred by a little noise). A model sees
    only the two ids, so it has to learn a vector per user and per item from the likes.
    Each (user, item) pair occurs at most once, so held-out records are pairs the model
    has never seen. About half the records are likes.

    Returns ``({"user": (n,), "item": (n,)}, liked)``, all int64.

    Example:
        >>> ids, liked = user_item_likes(n=5, seed=0)
        >>> sorted(ids), ids["user"].shape, liked.shape
        (['item', 'user'], (5,), (5,))
    """
    _check_positive(n=n, n_users=n_users, n_items=n_items, factors=factors)
    if n > n_users * n_items:
        raise ValueError(f"n must be at most n_users * n_items = {n_users * n_items}, so that no pair repeats; got {n}.")
    rng = np.random.default_rng(seed)
    user_traits = rng.normal(size=(n_users, factors))
    item_traits = rng.normal(size=(n_items, factors))
    pair_ids = rng.choice(n_users * n_items, size=n, replace=False)
    users, items = pair_ids // n_items, pair_ids % n_items
    agreement = np.sum(user_traits[users] * item_traits[items], axis=1) + rng.normal(0.0, 0.3, size=n)
    return {"user": users.astype("int64"), "item": items.astype("int64")}, (agreement > 0).astype("int64")


# ------------------------------------------------------------------ internals
def _draw_shapes(n: int, size: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images, masks and labels of random circles, squares and triangles."""
    _check_positive(n=n)
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, not {size}.")
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size] + 0.5
    labels = rng.integers(0, len(SHAPE_NAMES), size=n)
    masks = np.zeros((n, size, size), dtype=bool)
    for i, label in enumerate(labels):
        radius = rng.uniform(0.18, 0.32) * size
        cy, cx = rng.uniform(radius, size - radius, size=2)
        if label == 0:
            masks[i] = (rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2
        elif label == 1:
            half = radius * 0.85
            masks[i] = (np.abs(rows - cy) <= half) & (np.abs(cols - cx) <= half)
        else:
            top, bottom = cy - radius, cy + radius
            half_width = (rows - top) / (2 * radius) * radius
            masks[i] = (rows >= top) & (rows <= bottom) & (np.abs(cols - cx) <= half_width)
    images = masks * rng.uniform(0.6, 1.0, size=(n, 1, 1)) + rng.normal(0.0, noise, size=masks.shape)
    images = np.clip(images, 0.0, 1.0).astype("float32")[..., None]
    return images, masks.astype("float32")[..., None], labels.astype("int64")


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, not {value!r}.")
