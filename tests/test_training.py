"""course_utils.training: repeatable resets, one quiet line per epoch, history plots."""

from __future__ import annotations

import course_utils  # noqa: F401
import keras
import matplotlib
import numpy as np
import pytest

from course_utils.data import tabular_classes
from course_utils.training import fit_quietly, format_metrics, plot_history, reset

matplotlib.use("Agg")


def small_model():
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(6, activation="relu"), keras.layers.Dense(3)])


def test_reset_repeats_names_and_weights():
    reset(5)
    first = small_model()
    reset(5)
    second = small_model()
    assert [layer.name for layer in first.layers] == [layer.name for layer in second.layers] == ["dense", "dense_1"]
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights()))
    reset(6)
    assert not np.array_equal(small_model().get_weights()[0], first.get_weights()[0])


def test_fit_quietly_prints_one_rounded_line_per_epoch(capsys):
    x, y = tabular_classes(n=64, seed=0)
    reset(0)
    model = small_model()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = fit_quietly(model, x, y, epochs=3, batch_size=16, validation_split=0.25)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3  loss ")
    for line in lines:
        numbers = [token for token in line.split() if token[0].isdigit() and "." in token]
        assert numbers and all(len(n.split(".")[1]) == 3 for n in numbers)
        assert "val_loss" in line and "ms" not in line and "step" not in line and "\x1b" not in line
    assert len(history.history["loss"]) == 3


def test_fit_quietly_every_n_epochs_still_prints_the_last(capsys):
    x, y = tabular_classes(n=32, seed=0)
    reset(0)
    model = small_model()
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fit_quietly(model, x, y, epochs=5, every=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["2/5", "4/5", "5/5"]


def test_fit_quietly_repeats_exactly_after_reset(capsys):
    x, y = tabular_classes(n=64, seed=0)
    outputs = []
    for _ in range(2):
        reset(0)
        model = small_model()
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        fit_quietly(model, x, y, epochs=2)
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_uncompiled_model_gets_a_clear_message():
    with pytest.raises(RuntimeError, match="must be compiled before training"):
        fit_quietly(small_model(), np.zeros((4, 8)), np.zeros(4), epochs=1)


def test_format_metrics_rounds_and_skips_non_numbers():
    assert format_metrics({"val_loss": 1.0, "accuracy": 0.75, "loss": 0.51234, "note": "x"}) == (
        "loss 0.512  accuracy 0.750  val_loss 1.000"
    )


def test_plot_history_draws_each_run_and_validation():
    runs = {"plain": {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]}, "skip": {"loss": [0.9, 0.3, 0.1]}}
    figure = plot_history(runs, ["loss"], show=False)
    (axis,) = figure.axes
    assert [line.get_label() for line in axis.lines] == ["plain", "plain (validation)", "skip"]
    assert list(axis.lines[2].get_ydata()) == [0.9, 0.3, 0.1]


def test_plot_history_shows_and_returns_none_by_default():
    assert plot_history({"loss": [1.0, 0.5]}) is None


def test_plot_history_names_the_metrics_it_has():
    with pytest.raises(ValueError, match=r"recorded metrics are \['loss'\]"):
        plot_history({"loss": [1.0]}, ["accuracy"], show=False)
    with pytest.raises(TypeError, match="Expected a History"):
        plot_history([1, 2, 3], show=False)


def test_a_wide_epoch_line_puts_validation_under_training():
    from course_utils.training import LINE_WIDTH, epoch_line

    heads = {f"{head}_{kind}": 0.5 for head in ("shape", "area") for kind in ("loss", "accuracy")}
    logs = {"loss": 1.0, **heads, **{f"val_{key}": 0.25 for key in ("loss", *heads)}}
    one_line = "epoch 2/8  " + format_metrics(logs)
    assert len(one_line) > LINE_WIDTH
    first, second = epoch_line(2, 8, logs).split("\n")
    assert first.startswith("epoch 2/8  loss 1.000") and "val_" not in first
    assert second.startswith(" " * len("epoch 2/8  ") + "val_loss 0.250")
    assert len(first) <= LINE_WIDTH and len(second) < len(one_line)
    assert "\n" not in epoch_line(2, 8, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.5})
