"""course_utils.pictures: image grids, mask overlays and attention heatmaps, and their refusals."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.data import segmentation_masks
from course_utils.pictures import attention_heatmap, image_grid, overlay_mask

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_has_one_row_per_stack_and_labels_rows_and_columns():
    images, masks = segmentation_masks(n=3, size=8, seed=0)
    figure = image_grid({"image": images, "mask": masks[..., 0]}, column_titles=["a", "b", "c"], title="t")
    axes = np.array(figure.axes).reshape(2, 3)
    assert [axis.get_ylabel() for axis in axes[:, 0]] == ["image", "mask"]
    assert [axis.get_title() for axis in axes[0]] == ["a", "b", "c"]
    assert axes[0, 0].images[0].get_array().shape == (8, 8)


def test_image_grid_shows_rgb_overlays_and_refuses_uneven_rows():
    images, masks = segmentation_masks(n=2, size=8, seed=1)
    figure = image_grid({"overlay": overlay_mask(images, masks)})
    assert figure.axes[0].images[0].get_array().shape == (8, 8, 3)
    with pytest.raises(ValueError, match="same number of images"):
        image_grid({"image": images, "mask": masks[:1]})
    with pytest.raises(ValueError, match="expected images shaped"):
        image_grid({"flat": np.zeros((2, 64))})
    with pytest.raises(ValueError, match="one column title per image"):
        image_grid({"image": images}, column_titles=["only one"])


def test_overlay_mask_colours_only_the_masked_pixels():
    image = np.full((4, 4, 1), 0.2, dtype="float32")
    mask = np.zeros((4, 4, 1), dtype="float32")
    mask[0, 0] = 0.9  # a probability above the threshold counts as inside
    rgb = overlay_mask(image, mask, colour=(1.0, 0.0, 0.0), alpha=0.5)
    assert rgb.shape == (4, 4, 3)
    np.testing.assert_allclose(rgb[0, 0], [0.6, 0.1, 0.1], atol=1e-6)
    np.testing.assert_allclose(rgb[1, 1], [0.2, 0.2, 0.2], atol=1e-6)
    with pytest.raises(ValueError, match="same size"):
        overlay_mask(image, np.zeros((3, 3)))


def test_attention_heatmap_draws_one_panel_per_head_with_labels():
    weights = np.full((2, 3, 4), 0.25)
    figure = attention_heatmap(weights, queries=["a", "b", "c"], keys=["w", "x", "y", "z"])
    panels = [axis for axis in figure.axes if axis.get_label() != "<colorbar>"]
    assert [axis.get_title() for axis in panels] == ["head 0", "head 1"]
    assert [tick.get_text() for tick in panels[0].get_xticklabels()] == ["w", "x", "y", "z"]
    single = attention_heatmap(np.eye(3), annotate=True)
    assert len(single.axes[0].texts) == 9


def test_attention_heatmap_explains_wrong_shapes_and_labels():
    with pytest.raises(ValueError, match="pick one example first"):
        attention_heatmap(np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match="keys needs 3 labels"):
        attention_heatmap(np.eye(3), keys=["a"])
