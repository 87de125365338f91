"""course_utils.widgets: the explorers rebuild on change, cache, and show errors as messages."""

from __future__ import annotations

import course_utils  # noqa: F401
import ipywidgets as widgets
import keras
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils.data import tabular_classes
from course_utils.graph import model_graph
from course_utils.widgets import ModelExplorer, PlotExplorer, QuickTrain, QuizExplorer, QuizItem

matplotlib.use("Agg")


def build(depth=1, width=4):
    inputs = keras.Input((8,), name="features")
    hidden = inputs
    for index in range(depth):
        hidden = keras.layers.Dense(width, activation="relu", name=f"hidden_{index}")(hidden)
    return keras.Model(inputs, keras.layers.Dense(3, name="scores")(hidden), name="stack")


def make_explorer(**kwargs):
    controls = {"depth": widgets.IntSlider(1, 0, 6), "width": widgets.IntSlider(4, 1, 32)}
    return ModelExplorer(build, controls, **kwargs)


def test_initial_view_describes_the_model():
    explorer = make_explorer()
    text = explorer.describe()
    assert text.startswith("explorer setting: depth=1, width=4\nparameters: 51   output shapes: (None, 3)")
    assert "hidden_0" in text and "<svg" in explorer._graph_box.value
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_moving_a_control_redraws_the_graph():
    explorer = make_explorer()
    explorer.controls["depth"].value = 4
    assert len(explorer.view.graph.nodes) == 6
    assert explorer._graph_box.value.count('class="node"') == 7  # 6 layers + legend
    assert "4 layers" not in explorer._summary.value and "6 layers" in explorer._summary.value


def test_sliders_update_on_release_only():
    explorer = make_explorer()
    assert all(control.continuous_update is False for control in explorer.controls.values())


def test_views_are_cached_per_setting():
    explorer = make_explorer()
    first = explorer.build_view(depth=2)
    assert explorer.build_view(depth=2) is first
    assert explorer.build_view(depth=3) is not first


def test_builder_errors_become_a_message_not_a_traceback():
    def broken(width=4):
        inputs = keras.Input((8,))
        return keras.Model(inputs, keras.layers.Add()([inputs, keras.layers.Dense(width)(inputs)]))

    explorer = ModelExplorer(broken, {"width": widgets.IntSlider(4, 1, 16)})
    assert explorer.view.error is not None and explorer.view.error.startswith("ValueError")
    assert "does not build" in explorer._summary.value and "Traceback" not in explorer._summary.value
    assert "the builder raised ValueError" in explorer.describe()
    assert explorer.model is None
    explorer.controls["width"].value = 8
    assert explorer.view.error is None and explorer.model is not None


def test_controls_must_be_widgets():
    with pytest.raises(TypeError, match="must be an ipywidgets control"):
        ModelExplorer(build, {"depth": 3})
    with pytest.raises(TypeError, match="builder must be a function"):
        ModelExplorer("build", {})


def test_quick_train_draws_a_loss_curve():
    x, y = tabular_classes(n=64, seed=0)
    setup = QuickTrain(x, y, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), epochs=2)
    explorer = make_explorer(train=setup)
    explorer._train_button.click()
    assert explorer._train_status.value.startswith("after training: loss ")
    assert explorer._curve.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer._train_button.disabled is False


def test_quick_train_can_be_called_and_stored_like_the_button():
    x, y = tabular_classes(n=64, seed=0)
    setup = QuickTrain(x, y, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=("accuracy",), epochs=2)
    explorer = make_explorer(train=setup)
    deeper = explorer.quick_train(depth=3)
    assert deeper.params == {"depth": 3, "width": 4}
    assert len(deeper.history.history["loss"]) == 2
    assert set(deeper.last) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert repr(deeper).startswith("quick train (depth=3, width=4): loss ")
    assert repr(explorer.quick_train(depth=3)) == repr(deeper)  # same seed, same run
    assert repr(explorer.quick_train(depth=1)) != repr(deeper)
    assert explorer.values == {"depth": 1, "width": 4}  # the controls did not move
    explorer._train_button.click()
    assert explorer._train_status.value == "after training: " + repr(explorer.quick_train()).split(": ", 1)[1]


def test_quick_train_needs_a_set_up_and_a_model_that_builds():
    with pytest.raises(ValueError, match="no training set-up"):
        make_explorer().quick_train()
    x, y = tabular_classes(n=64, seed=0)
    explorer = make_explorer(train=QuickTrain(x, y, loss="sparse_categorical_crossentropy"))
    with pytest.raises(ValueError, match="does not build"):
        explorer.quick_train(width=-1)


def test_plot_explorer_redraws_and_reports_errors():
    def draw(freq=1):
        figure, axis = plt.subplots()
        if freq == 3:
            raise ValueError("three is not allowed")
        axis.plot(np.sin(freq * np.linspace(0, 6, 20)))
        return figure

    explorer = PlotExplorer(draw, {"freq": widgets.IntSlider(1, 1, 5)}, describe=lambda freq: f"frequency {freq}")
    first = explorer._image.value
    assert first[:4] == b"\x89PNG" and explorer.describe() == "frequency 1"
    explorer.controls["freq"].value = 2
    assert explorer._image.value != first
    explorer.controls["freq"].value = 3
    assert "three is not allowed" in explorer._message.value
    assert explorer._repr_mimebundle_()["text/plain"] == "frequency 3"


STACK, GRAPH = "a stack can build this", "needs the Functional API"


def make_quiz():
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    pair = keras.Model([left, right], keras.layers.Concatenate(name="joined")([left, right]), name="pair")
    items = [
        QuizItem(model_graph(build(depth=2)), STACK, "One line of layers."),
        QuizItem(model_graph(pair), GRAPH, "Two inputs: `left` and `right`."),
    ]
    return QuizExplorer(items, (STACK, GRAPH), question="Could a stack build this?")


def test_quiz_shows_one_graph_and_keeps_the_answer_out_of_its_text_form():
    quiz = make_quiz()
    assert "hidden_1" in quiz._graph_box.value and "joined" not in quiz._graph_box.value
    assert "<title>graph 1</title>" in quiz._graph_box.value and "<title>stack</title>" not in quiz._graph_box.value
    assert quiz.describe() == f"quiz, graph 1 of 2: Could a stack build this?\nchoices: {STACK} | {GRAPH}"
    assert quiz._repr_mimebundle_()["text/plain"] == quiz.describe()
    assert quiz._feedback.value == "" and quiz._next.disabled
    assert quiz.summary() == f"2 graphs: 1 × “{STACK}”, 1 × “{GRAPH}”"


def test_a_click_gives_feedback_with_the_reason_and_locks_the_choices():
    quiz = make_quiz()
    quiz._buttons[0].click()  # STACK: right for the first graph
    assert quiz._feedback.value.count("Right.") == 1 and "One line of layers." in quiz._feedback.value
    assert all(button.disabled for button in quiz._buttons) and not quiz._next.disabled
    assert quiz.score == (1, 1)
    quiz._next.click()
    assert "joined" in quiz._graph_box.value and quiz._feedback.value == ""
    assert quiz.choose(STACK) is False
    assert "Not quite: the answer is “needs the Functional API”." in quiz._feedback.value
    assert "<code>left</code>" in quiz._feedback.value
    assert quiz.score == (1, 2) and "score so far: 1 of 2" in quiz._header.value


def test_after_the_last_graph_the_quiz_starts_again():
    quiz = make_quiz()
    quiz.choose(GRAPH)
    quiz.next()
    quiz.choose(GRAPH)
    assert "score so far: 1 of 2" in quiz._header.value
    quiz.next()
    assert quiz.index == 0 and quiz.score == (0, 0) and "hidden_1" in quiz._graph_box.value
    assert not any(button.disabled for button in quiz._buttons)


def test_quiz_rejects_answers_that_are_not_choices():
    item = QuizItem(model_graph(build()), "maybe", "?")
    with pytest.raises(ValueError, match="not one of the choices"):
        QuizExplorer([item], (STACK, GRAPH))
    with pytest.raises(ValueError, match="at least one"):
        QuizExplorer([], (STACK, GRAPH))
    with pytest.raises(ValueError, match="not one of the choices"):
        make_quiz().choose("maybe")
