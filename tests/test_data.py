"""course_utils.data: seeded, shaped as documented, meaningful labels, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import data

GENERATORS = [
    data.tabular_classes,
    data.shape_images,
    data.segmentation_masks,
    data.two_input_records,
    data.token_sequences,
    data.pairs,
    data.user_item_likes,
]


def flatten(result):
    arrays = []
    for item in result:
        arrays.extend(item.values() if isinstance(item, dict) else [item])
    return arrays


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(make):
    first, again, other = flatten(make(n=40, seed=3)), flatten(make(n=40, seed=3)), flatten(make(n=40, seed=4))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))
    assert all(len(a) == 40 for a in first)


def test_tabular_classes_are_separable_and_typed():
    x, y = data.tabular_classes(n=600, n_features=5, n_classes=3, spread=0.5, seed=0)
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (600, 5)
    centres = np.stack([x[y == c].mean(axis=0) for c in range(3)])
    nearest = np.argmin(((x[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    assert (nearest == y).mean() > 0.9


def test_shape_images_draw_three_distinct_shapes():
    images, labels = data.shape_images(n=300, size=16, noise=0.0, seed=1)
    assert images.shape == (300, 16, 16, 1) and images.min() >= 0 and images.max() <= 1
    assert set(labels.tolist()) == {0, 1, 2} and len(data.SHAPE_NAMES) == 3
    assert all(images[i].sum() > 5 for i in range(300)), "every image shows a shape"


def test_masks_cover_the_bright_pixels():
    images, masks = data.segmentation_masks(n=50, size=16, noise=0.0, seed=2)
    assert set(np.unique(masks).tolist()) == {0.0, 1.0}
    assert np.all(images[masks == 0] == 0) and np.all(images[masks == 1] > 0)


def test_two_input_records_label_needs_both_inputs():
    inputs, y = data.two_input_records(n=500, seed=0)
    assert inputs["image"].shape == (500, 16, 16, 1) and inputs["meta"].shape == (500, 3)
    bright = inputs["meta"][:, 0] > 0.5
    assert np.all(y[bright] == 1)
    assert 0 < y[~bright].mean() < 1, "among dim records, the picture decides"


@pytest.mark.parametrize("task, expected", [("reverse", lambda x: x[:, ::-1]), ("sort", lambda x: np.sort(x, 1)), ("copy", lambda x: x)])
def test_token_tasks(task, expected):
    x, y = data.token_sequences(n=30, length=6, vocab_size=9, task=task, seed=0)
    assert x.min() >= 1 and x.max() <= 8
    assert np.array_equal(y, expected(x))


def test_pairs_are_balanced_and_labelled_by_class():
    left, right, same = data.pairs(n=200, n_features=4, n_classes=3, seed=0)
    assert same.sum() == 100
    distance = np.linalg.norm(left - right, axis=1)
    assert distance[same == 1].mean() < distance[same == 0].mean()


def test_user_item_likes_are_unique_pairs_decided_by_both_ids():
    ids, liked = data.user_item_likes(n=3000, seed=0)
    assert ids["user"].max() < 100 and ids["item"].max() < 50
    assert len(set(zip(ids["user"].tolist(), ids["item"].tolist()))) == 3000  # no pair twice
    assert 0.4 < liked.mean() < 0.6
    # neither id alone decides: most users and most items have both likes and dislikes
    for key in ("user", "item"):
        rates = np.array([liked[ids[key] == value].mean() for value in np.unique(ids[key])])
        assert np.mean((rates > 0.1) & (rates < 0.9)) > 0.6


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.tabular_classes(n=0), "n must be a positive whole number"),
        (lambda: data.shape_images(size=4), "size must be at least 8"),
        (lambda: data.token_sequences(task="shuffle"), "task must be one of"),
        (lambda: data.token_sequences(vocab_size=2), "vocab_size must be at least 3"),
        (lambda: data.pairs(n_classes=1), "at least 2 classes"),
        (lambda: data.tabular_classes(n=2.5), "positive whole number"),
        (lambda: data.user_item_likes(n=11, n_users=2, n_items=5), "at most n_users \\* n_items = 10"),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
