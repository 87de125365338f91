"""The model explorer: move a control, see the model's new graph at once.

:class:`ModelExplorer` takes a *builder* – a function that returns a Keras model
from keyword arguments – and one ipywidgets control per argument. It shows the
live graph, the parameter count and the output shapes; when the builder raises,
it shows the error message instead (never a traceback). Sliders update when they
are released, not while they are dragged. An optional *Quick train* button fits
the current model for a few epochs and draws its loss curve.

:class:`QuizExplorer` turns graphs into questions: it shows one model's graph at a
time with a button per answer, and says at once whether the choice was right and why.

In a notebook the explorer displays as live controls; its plain-text form (what
nbval stores and compares) describes the model for the current setting.

Example:
    >>> import ipywidgets as widgets
    >>> def build(width=8):
    ...     inputs = keras.Input((4,), name="features")
    ...     return keras.Model(inputs, keras.layers.Dense(width, name="hidden")(inputs))
    >>> explorer = ModelExplorer(build, {"width": widgets.IntSlider(8, 1, 64)})   # doctest: +SKIP
    >>> explorer                                                                    # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import ipywidgets as widgets

from course_utils.graph import ModelGraph, dot_available, format_shape, model_graph
from course_utils.training import format_metrics, plot_history, reset

__all__ = ["ExplorerView", "ModelExplorer", "PlotExplorer", "QuickTrain", "QuickTrainResult", "QuizExplorer", "QuizItem"]


@dataclass(frozen=True)
class QuickTrain:
    """What the *Quick train* button needs: data, loss and a few epochs.

    Example:
        >>> QuickTrain(x, y, loss="sparse_categorical_crossentropy", metrics=("accuracy",))   # doctest: +SKIP
    """

    x: Any
    y: Any
    loss: Any
    metrics: Any = ()  # a list, or a dict per output name
    loss_weights: Any = None
    optimizer: str = "adam"
    learning_rate: float | None = None
    epochs: int = 5
    batch_size: int = 32
    validation_split: float = 0.2


@dataclass
class ExplorerView:
    """The result of one build: its graph, or the builder's error message."""

    params: dict[str, Any]
    graph: ModelGraph | None = None
    output_shapes: list[tuple[int | None, ...]] = field(default_factory=list)
    error: str | None = None
    svg: str = ""

    def describe(self) -> str:
        setting = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        if self.error is not None:
            return f"explorer setting: {setting}\nthe builder raised {self.error}"
        assert self.graph is not None
        shapes = ", ".join(format_shape(s) for s in self.output_shapes)
        return (
            f"explorer setting: {setting}\n"
            f"parameters: {self.graph.total_params:,}   output shapes: {shapes}\n" + self.graph.describe()
        )


class ModelExplorer:
    """Live controls over a model builder; see the module docstring.

    Args:
        builder: ``builder(**values) -> keras.Model``.
        controls: ``{argument name: ipywidgets control}``; each control's value is
            passed to the builder under that name.
        train: optional :class:`QuickTrain`; adds a *Quick train* button.
        seed: the seed :func:`course_utils.training.reset` uses before every build,
            so the same setting always gives the same names and weights.
        graph_options: passed to :func:`course_utils.graph.model_graph`
            (``show_shapes``, ``expand_nested``, ``rankdir``).
    """

    def __init__(
        self,
        builder: Callable[..., Any],
        controls: Mapping[str, widgets.Widget],
        *,
        train: QuickTrain | None = None,
        seed: int = 0,
        **graph_options: Any,
    ) -> None:
        if not callable(builder):
            raise TypeError(f"builder must be a function that returns a Keras model, not {type(builder).__name__}.")
        _check_controls(controls)
        self.builder = builder
        self.controls = dict(controls)
        self.train_setup = train
        self.seed = seed
        self.graph_options = graph_options
        self._cache: dict[tuple[Any, ...], ExplorerView] = {}
        self._model: Any = None
        self.view = ExplorerView(params={})

        self._graph_box = widgets.HTML(layout=widgets.Layout(overflow="auto", max_height="560px"))
        self._summary = widgets.HTML()
        children: list[widgets.Widget] = []
        for control in self.controls.values():
            if hasattr(control, "continuous_update"):
                control.continuous_update = False  # rebuild on release, not on every step
            control.observe(self._on_change, names="value")
            children.append(control)
        panel: list[widgets.Widget] = [widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap")), self._summary]
        if train is not None:
            self._train_button = widgets.Button(description="Quick train", icon="play", button_style="info")
            self._train_button.on_click(self._on_train)
            self._train_status = widgets.HTML()
            self._curve = widgets.Image(format="png", layout=widgets.Layout(max_width="520px"))
            panel += [widgets.HBox([self._train_button, self._train_status]), self._curve]
        panel.append(self._graph_box)
        self.widget = widgets.VBox(panel)
        self.refresh()

    # --------------------------------------------------------------- public
    @property
    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def model(self) -> Any:
        """The model built for the current setting (None when the builder raised)."""
        if self._model is None and self.view.error is None:
            self._model = self._build(self.values)[0]
        return self._model

    def build_view(self, **values: Any) -> ExplorerView:
        """Build (or reuse) the view for a setting, without touching the controls.

        Example:
            >>> explorer.build_view(width=16).graph.total_params   # doctest: +SKIP
        """
        params = {**self.values, **values}
        key = tuple(sorted((k, repr(v)) for k, v in params.items()))
        if key not in self._cache:
            model, view = self._build(params)
            self._cache[key] = view
            if params == self.values:
                self._model = model
        return self._cache[key]

    def refresh(self) -> ExplorerView:
        """Rebuild for the controls' current values and redraw."""
        self._model = None
        self.view = self.build_view()
        self._render(self.view)
        return self.view

    def describe(self) -> str:
        """Text form of the current setting (what nbval compares)."""
        return self.view.describe()

    def __repr__(self) -> str:
        return self.describe()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return _widget_bundle(self.widget, self.describe(), include, exclude)

    # ------------------------------------------------------------ internals
    def _build(self, params: dict[str, Any]) -> tuple[Any, ExplorerView]:
        reset(self.seed)
        try:
            model = self.builder(**params)
            graph = model_graph(model, **self.graph_options)
        except Exception as error:  # the learner's builder may raise anything; show it, kindly
            return None, ExplorerView(params=dict(params), error=f"{type(error).__name__}: {_first_lines(error)}")
        shapes = [tuple(None if d is None else int(d) for d in t.shape) for t in model.outputs]
        svg = _inline_svg(graph) if dot_available() else ""
        return model, ExplorerView(params=dict(params), graph=graph, output_shapes=shapes, svg=svg)

    def _render(self, view: ExplorerView) -> None:
        if view.error is not None:
            self._summary.value = (
                "<div style='color:#a40000;background:#fff0f0;padding:6px;border-left:4px solid #a40000'>"
                f"<b>This setting does not build:</b> <code>{html.escape(view.error)}</code></div>"
            )
            self._graph_box.value = ""
            return
        assert view.graph is not None
        shapes = ", ".join(format_shape(s) for s in view.output_shapes)
        self._summary.value = (
            f"<b>{view.graph.total_params:,}</b> parameters &nbsp;·&nbsp; {len(view.graph.nodes)} layers"
            f" &nbsp;·&nbsp; output shape{'s' if len(view.output_shapes) > 1 else ''}: <code>{shapes}</code>"
        )
        if view.svg:
            self._graph_box.value = view.svg
        else:
            self._graph_box.value = f"<pre>{html.escape(view.graph.describe())}</pre>"

    def _on_change(self, change: Mapping[str, Any]) -> None:
        self.refresh()

    def _on_train(self, button: widgets.Button) -> None:
        if self.train_setup is None or self.model is None:
            self._train_status.value = "Fix the model first: this setting does not build."
            return
        button.disabled = True
        self._train_status.value = f"training for {self.train_setup.epochs} epochs…"
        try:
            result = self.quick_train()
            self._train_status.value = "after training: " + html.escape(format_metrics(result.last))
            self._curve.value = _figure_png(plot_history(result.history, title=_setting_title(self.values), show=False))
        except Exception as error:  # shown to the learner, never a traceback
            self._train_status.value = f"<span style='color:#a40000'>Training failed: {html.escape(_first_lines(error))}</span>"
        finally:
            button.disabled = False

    def quick_train(self, **values: Any) -> QuickTrainResult:
        """Train a setting exactly as the *Quick train* button does (fresh model, same seed) and return the result.

        Settings not given keep the controls' current values. Printing the result gives
        one rounded line, so a lesson can store the run its text talks about.

        Example:
            >>> explorer.quick_train(depth=4)   # doctest: +SKIP
            quick train (depth=4, width=16): loss 0.412  accuracy 0.861  val_loss 0.398  val_accuracy 0.870
        """
        setup = self.train_setup
        if setup is None:
            raise ValueError("This explorer has no training set-up: pass train=QuickTrain(...) when you create it.")
        params = {**self.values, **values}
        model, view = self._build(params)
        if model is None:
            raise ValueError(f"This setting does not build: {view.error}")
        import keras

        optimizer = keras.optimizers.get(setup.optimizer)  # a fresh optimizer for every run
        if setup.learning_rate is not None:
            optimizer.learning_rate = setup.learning_rate
        metrics = setup.metrics if isinstance(setup.metrics, Mapping) else list(setup.metrics)
        model.compile(optimizer=optimizer, loss=setup.loss, metrics=metrics, loss_weights=setup.loss_weights)
        history = model.fit(
            setup.x,
            setup.y,
            epochs=setup.epochs,
            batch_size=setup.batch_size,
            validation_split=setup.validation_split,
            verbose=0,
        )
        return QuickTrainResult(params, history)


@dataclass
class QuickTrainResult:
    """One *Quick train* run: the setting, Keras' ``History``, and a one-line text form."""

    params: dict[str, Any]
    history: Any

    @property
    def last(self) -> dict[str, float]:
        """Every metric after the last epoch."""
        return {k: float(v[-1]) for k, v in self.history.history.items()}

    def __repr__(self) -> str:
        return f"quick train ({_setting_title(self.params)}): {format_metrics(self.last)}"


class PlotExplorer:
    """Live controls over a matplotlib drawing (heatmaps, images, trade-off curves).

    ``draw(**values)`` draws a figure for the controls' values and returns it (or
    returns None after drawing on the current figure). The picture is shown as a
    PNG under the controls and redrawn when a control is released. Optionally,
    ``describe(**values) -> str`` gives the plain-text form that nbval compares;
    keep it to rounded numbers.

    Args:
        draw: ``draw(**values) -> matplotlib Figure | None``.
        controls: ``{argument name: ipywidgets control}``.
        describe: ``describe(**values) -> str`` for the text form (default: the setting).

    Example:
        >>> def draw(freq=1):
        ...     figure, axis = plt.subplots()
        ...     axis.plot(np.sin(freq * np.linspace(0, 6, 100)))
        ...     return figure
        >>> PlotExplorer(draw, {"freq": widgets.IntSlider(1, 1, 5)})   # doctest: +SKIP
    """

    def __init__(
        self,
        draw: Callable[..., Any],
        controls: Mapping[str, widgets.Widget],
        *,
        describe: Callable[..., str] | None = None,
    ) -> None:
        if not callable(draw):
            raise TypeError(f"draw must be a function that draws a figure, not {type(draw).__name__}.")
        _check_controls(controls)
        self.draw = draw
        self.controls = dict(controls)
        self._describe = describe
        self._cache: dict[tuple[Any, ...], bytes] = {}
        self._image = widgets.Image(format="png", layout=widgets.Layout(max_width="820px"))
        self._message = widgets.HTML()
        for control in self.controls.values():
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
            control.observe(lambda change: self.refresh(), names="value")
        row = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([row, self._message, self._image])
        self.refresh()

    @property
    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Redraw for the controls' current values."""
        values = self.values
        key = tuple(sorted((k, repr(v)) for k, v in values.items()))
        try:
            if key not in self._cache:
                self._cache[key] = self._png(values)
        except Exception as error:  # the drawing function may raise anything; show it, kindly
            self._message.value = (
                f"<span style='color:#a40000'>This setting cannot be drawn: "
                f"{html.escape(type(error).__name__)}: {html.escape(_first_lines(error))}</span>"
            )
            return
        self._message.value = ""
        self._image.value = self._cache[key]

    def describe(self) -> str:
        """Text form of the current setting (what nbval compares)."""
        values = self.values
        if self._describe is not None:
            return self._describe(**values)
        return "plot setting: " + ", ".join(f"{k}={v!r}" for k, v in values.items())

    def __repr__(self) -> str:
        return self.describe()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return _widget_bundle(self.widget, self.describe(), include, exclude)

    def _png(self, values: Mapping[str, Any]) -> bytes:
        import matplotlib.pyplot as plt

        figure = self.draw(**values)
        return _figure_png(figure if figure is not None else plt.gcf())


@dataclass(frozen=True)
class QuizItem:
    """One question of a :class:`QuizExplorer`: a graph, the right choice, and why it is right.

    ``why`` is shown after every answer, right or wrong; text in `backticks` is shown as code.

    Example:
        >>> QuizItem(model_graph(siamese), "needs the Functional API", "Two inputs: a stack has one entry.")   # doctest: +SKIP
    """

    graph: ModelGraph
    answer: str
    why: str


class QuizExplorer:
    """A multiple-choice quiz over model graphs: one graph at a time, a button per choice, instant feedback.

    The questions come in the order given (never shuffled, so a stored notebook is the
    same on every run). After a choice the buttons lock, the feedback says whether it
    was right and why, and *Next* moves on; after the last question it starts again.
    The plain-text form (what nbval compares) names the question and the choices but
    never the answer.

    Args:
        items: the questions; each answer must be one of ``choices``.
        choices: one button per choice, in this order.
        question: the line shown above every graph.

    Example:
        >>> quiz = QuizExplorer(items, ("a stack can build this", "needs the Functional API"),
        ...                     question="Could a Sequential stack build this model?")   # doctest: +SKIP
        >>> quiz.choose("needs the Functional API")   # what a click does; True when right   # doctest: +SKIP
        >>> quiz.summary()   # doctest: +SKIP
        '5 graphs: 2 × “a stack can build this”, 3 × “needs the Functional API”'
    """

    def __init__(self, items: list[QuizItem], choices: tuple[str, ...], *, question: str = "") -> None:
        if not items:
            raise ValueError("A quiz needs at least one QuizItem.")
        for item in items:
            if item.answer not in choices:
                raise ValueError(f"The answer {item.answer!r} is not one of the choices {list(choices)}.")
        self.items = list(items)
        self.choices = tuple(choices)
        self.question = question
        self.index = 0
        self.chosen: dict[int, str] = {}  # question number -> the learner's choice
        self._buttons = [widgets.Button(description=c, layout=widgets.Layout(width="auto")) for c in self.choices]
        for button in self._buttons:
            button.on_click(lambda b: self.choose(b.description))
        self._next = widgets.Button(description="Next", icon="arrow-right", disabled=True)
        self._next.on_click(lambda b: self.next())
        self._header, self._feedback = widgets.HTML(), widgets.HTML()
        self._graph_box = widgets.HTML(layout=widgets.Layout(overflow="auto", max_height="480px"))
        self.widget = widgets.VBox([self._header, self._graph_box, widgets.HBox([*self._buttons, self._next]), self._feedback])
        self._show()

    @property
    def score(self) -> tuple[int, int]:
        """(right answers, questions answered) since the quiz started."""
        right = sum(self.items[i].answer == choice for i, choice in self.chosen.items())
        return right, len(self.chosen)

    def choose(self, choice: str) -> bool:
        """Answer the current question, as a click on its button does; returns True when right."""
        if choice not in self.choices:
            raise ValueError(f"{choice!r} is not one of the choices {list(self.choices)}.")
        item = self.items[self.index]
        self.chosen[self.index] = choice
        right = choice == item.answer
        why = _code_spans(html.escape(item.why))
        if right:
            self._feedback.value = f"<div style='{_BOX}#2e7d32'><b>Right.</b> {why}</div>"
        else:
            self._feedback.value = f"<div style='{_BOX}#b26a00'><b>Not quite: the answer is “{html.escape(item.answer)}”.</b> {why}</div>"
        for button in self._buttons:
            button.disabled = True
        self._next.disabled = False
        self._show_score()
        return right

    def next(self) -> None:
        """Move to the next question (after the last one, start again with a fresh score)."""
        self.index += 1
        if self.index == len(self.items):
            self.index, self.chosen = 0, {}
        self._show()

    def summary(self) -> str:
        """How many questions have each answer, without saying which.

        Example:
            >>> quiz.summary()   # doctest: +SKIP
            '5 graphs: 2 × “a stack can build this”, 3 × “needs the Functional API”'
        """
        counts = ", ".join(f"{sum(item.answer == c for item in self.items)} × “{c}”" for c in self.choices)
        return f"{len(self.items)} graphs: {counts}"

    def describe(self) -> str:
        """Text form of the current question (what nbval compares); it never gives the answer away."""
        return f"quiz, graph {self.index + 1} of {len(self.items)}: {self.question}\nchoices: " + " | ".join(self.choices)

    def __repr__(self) -> str:
        return self.describe()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return _widget_bundle(self.widget, self.describe(), include, exclude)

    def _show(self) -> None:
        # drawn under a neutral name: a model's own name (say "repeat_stack") could give the answer away
        graph = replace(self.items[self.index].graph, name=f"graph {self.index + 1}", _digraph=None)
        self._show_score()
        self._graph_box.value = _inline_svg(graph) if dot_available() else f"<pre>{html.escape(graph.describe())}</pre>"
        self._feedback.value = ""
        for button in self._buttons:
            button.disabled = False
        self._next.disabled = True

    def _show_score(self) -> None:
        right, answered = self.score
        self._header.value = (
            f"<b>Graph {self.index + 1} of {len(self.items)}.</b> {_code_spans(html.escape(self.question))}"
            f" <span style='color:#666'>(score so far: {right} of {answered})</span>"
        )


_BOX = "padding:6px;background:#f7f7f7;border-left:4px solid "


def _code_spans(text: str) -> str:
    """`name` -> <code>name</code> in already escaped HTML."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _check_controls(controls: Mapping[str, Any]) -> None:
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(f"The control for {name!r} must be an ipywidgets control (IntSlider, Dropdown…).")


def _widget_bundle(widget: widgets.Widget, text: str, include: Any, exclude: Any) -> dict[str, Any]:
    """The widget's live view, with our deterministic text as its plain-text form (what nbval compares)."""
    bundle = widget._repr_mimebundle_(include=include, exclude=exclude) or {}
    if isinstance(bundle, tuple):  # (data, metadata)
        bundle = bundle[0]
    return {**bundle, "text/plain": text}


def _inline_svg(graph: ModelGraph) -> str:
    svg = graph.svg()
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _figure_png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _first_lines(error: BaseException, limit: int = 6) -> str:
    """The first lines of an error message, without terminal colour codes."""
    lines = _ANSI.sub("", str(error)).strip().splitlines()
    return "\n".join(lines[:limit]) + ("\n…" if len(lines) > limit else "")


def _setting_title(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
