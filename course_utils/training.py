"""Repeatable training for notebooks: reset, a quiet fit, and history plots.

* :func:`reset` clears Keras' session and seeds every random generator, so layer
  names (``dense``, ``dense_1``…) and initial weights are the same on every run.
* :func:`fit_quietly` trains without progress bars or timings and prints one short,
  rounded line per epoch – output that nbval can compare.
* :func:`plot_history` draws the curves of one or several runs.

Example:
    >>> reset(0)
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])   # doctest: +SKIP
    >>> model.compile("adam", "mse")                                           # doctest: +SKIP
    >>> history = fit_quietly(model, x, y, epochs=3)                           # doctest: +SKIP
    epoch 1/3  loss 0.512
    ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["LINE_WIDTH", "epoch_line", "fit_quietly", "format_metrics", "plot_history", "reset"]


def reset(seed: int = 0, *, free_memory: bool = False) -> None:
    """Start a fresh Keras session and seed Python, NumPy and the backend.

    Call it before building each model so that its layer names and weights repeat.
    ``free_memory=True`` also runs Python's garbage collection, which frees memory
    after many large models but takes up to a second; lesson-sized models don't need it.

    Example:
        >>> reset(42)
    """
    import keras

    keras.backend.clear_session(free_memory=free_memory)
    keras.utils.set_random_seed(seed)


def fit_quietly(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    epochs: int = 5,
    batch_size: int = 32,
    validation_data: Any = None,
    validation_split: float = 0.0,
    every: int = 1,
    digits: int = 3,
    **fit_kwargs: Any,
) -> Any:
    """``model.fit`` with one rounded line per epoch instead of a progress bar.

    Args:
        model: a compiled Keras model.
        x, y: training data, exactly as for ``model.fit``.
        epochs, batch_size, validation_data, validation_split: as for ``model.fit``.
        every: print every ``every``-th epoch (the last epoch is always printed).
        digits: decimals of the printed numbers.
        **fit_kwargs: passed on to ``model.fit`` (``verbose`` is always 0).

    Returns:
        The ``History`` object of ``model.fit``.

    Example:
        >>> history = fit_quietly(model, x, y, epochs=2)   # doctest: +SKIP
        epoch 1/2  loss 0.693  accuracy 0.512
        epoch 2/2  loss 0.601  accuracy 0.688
    """
    import keras

    if not getattr(model, "compiled", False) and getattr(model, "optimizer", None) is None:
        raise RuntimeError(
            f"The model {model.name!r} must be compiled before training: "
            "call model.compile(optimizer=..., loss=...) first."
        )
    if every < 1:
        raise ValueError(f"every must be 1 or more, not {every}.")

    class _EpochLine(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: Mapping[str, float] | None = None) -> None:
            if (epoch + 1) % every and epoch + 1 != epochs:
                return
            print(epoch_line(epoch + 1, epochs, logs or {}, digits))

    fit_kwargs.pop("verbose", None)
    callbacks = list(fit_kwargs.pop("callbacks", []) or []) + [_EpochLine()]
    return model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation_data,
        validation_split=validation_split,
        verbose=0,
        callbacks=callbacks,
        **fit_kwargs,
    )


#: Widest epoch line before the validation numbers go on a line of their own.
LINE_WIDTH = 100


def epoch_line(epoch: int, epochs: int, logs: Mapping[str, Any], digits: int = 3) -> str:
    """The line :func:`fit_quietly` prints after an epoch; two lines when one would be wider than ``LINE_WIDTH``.

    A model with several heads logs a loss and metrics per head: then the validation
    numbers go under the training ones, aligned, instead of running off the screen.

    Example:
        >>> epoch_line(2, 8, {"loss": 0.5, "val_loss": 0.6})
        'epoch 2/8  loss 0.500  val_loss 0.600'
    """
    prefix = f"epoch {epoch}/{epochs}  "
    line = prefix + format_metrics(logs, digits)
    if len(line) <= LINE_WIDTH:
        return line
    training = {k: v for k, v in logs.items() if not k.startswith("val_")}
    validation = {k: v for k, v in logs.items() if k.startswith("val_")}
    if not training or not validation:
        return line
    return prefix + format_metrics(training, digits) + "\n" + " " * len(prefix) + format_metrics(validation, digits)


def format_metrics(logs: Mapping[str, Any], digits: int = 3) -> str:
    """``{"accuracy": 0.75, "loss": 0.51234}`` -> ``"loss 0.512  accuracy 0.750"``.

    The loss comes first, then the metrics; validation values follow the training ones.

    Example:
        >>> format_metrics({"loss": 0.51234, "accuracy": 0.75})
        'loss 0.512  accuracy 0.750'
    """
    def order(key: str) -> tuple[bool, bool]:  # loss first, then metrics; training before validation
        base = key.removeprefix("val_")
        return (key.startswith("val_"), base != "loss")

    keys = sorted((k for k, v in logs.items() if _is_number(v)), key=order)
    return "  ".join(f"{key} {float(logs[key]):.{digits}f}" for key in keys)


def plot_history(
    histories: Any,
    metrics: Sequence[str] | str = ("loss",),
    *,
    validation: bool = True,
    title: str | None = None,
    ax: Any = None,
    show: bool = True,
) -> Any:
    """Plot training curves of one run or several named runs.

    Args:
        histories: a ``History`` (from ``fit``), a ``{"name": History}`` dict,
            or plain ``{"loss": [...]}`` dicts in place of ``History`` objects.
        metrics: which metrics to draw, one panel each (``"loss"``, ``"accuracy"``…).
        validation: also draw ``val_<metric>`` dashed when it exists.
        title: a title over the figure.
        ax: draw a single metric into this matplotlib axis instead of a new figure.
        show: display the figure now and return None (the notebook default). With
            ``show=False`` (or ``ax=...``) the figure is returned for further drawing.

    Returns:
        None when shown, else the matplotlib ``Figure``.

    Example:
        >>> plot_history({"plain": {"loss": [1.0, 0.5]}, "skip": {"loss": [0.9, 0.2]}})
    """
    import matplotlib.pyplot as plt

    runs = _as_runs(histories)
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metric_list:
        raise ValueError("Give at least one metric to plot, e.g. metrics=('loss',).")
    missing = [m for m in metric_list if not any(m in h for h in runs.values())]
    if missing:
        available = sorted({k for h in runs.values() for k in h})
        raise ValueError(f"No run recorded {missing}; the recorded metrics are {available}.")
    if ax is not None:
        if len(metric_list) != 1:
            raise ValueError("With ax=..., plot exactly one metric.")
        axes = [ax]
        figure = ax.figure
    else:
        figure, axes_grid = plt.subplots(1, len(metric_list), figsize=(4.2 * len(metric_list), 3.0), squeeze=False)
        axes = list(axes_grid[0])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axis, metric in zip(axes, metric_list):
        for index, (name, history) in enumerate(runs.items()):
            colour = colours[index % len(colours)]
            label = name if len(runs) > 1 else "train"
            if metric in history:
                values = history[metric]
                axis.plot(range(1, len(values) + 1), values, color=colour, label=label, marker="o", markersize=3)
            if validation and f"val_{metric}" in history:
                values = history[f"val_{metric}"]
                val_label = f"{name} (validation)" if len(runs) > 1 else "validation"
                axis.plot(range(1, len(values) + 1), values, color=colour, linestyle="--", label=val_label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if show and ax is None:
        plt.show()
        return None
    return figure


def _as_runs(histories: Any) -> dict[str, Mapping[str, Sequence[float]]]:
    def curves(item: Any) -> Mapping[str, Sequence[float]]:
        if hasattr(item, "history") and isinstance(item.history, Mapping):
            return item.history
        if isinstance(item, Mapping) and all(isinstance(v, Sequence) for v in item.values()):
            return item
        raise TypeError(f"Expected a History from model.fit (or a dict of metric lists), got {type(item).__name__}.")

    if isinstance(histories, Mapping) and histories and all(
        hasattr(v, "history") or isinstance(v, Mapping) for v in histories.values()
    ):
        return {str(name): curves(item) for name, item in histories.items()}
    return {"run": curves(histories)}


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
