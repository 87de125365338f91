"""Gradients made visible: how hard the loss pulls on each layer's weights.

Two lessons need gradients outside ``fit``: lesson 07 compares the gradient that
reaches each layer of a deep stack with and without skip connections, and lesson 08
shows that a shared layer receives the *sum* of the gradients of all its calls.

* :func:`gradients_of` – the gradient of any loss you compute yourself, with respect
  to chosen variables, as NumPy arrays (a thin wrapper around ``tf.GradientTape``).
* :func:`loss_gradients` – gradients of a model's loss on one batch.
* :func:`kernel_gradient_norms` – one number per layer: the size (L2 norm) of the
  loss gradient for its kernel, in layer order.
* :func:`format_norms` – those numbers as one short line with two significant
  digits, stable enough to be compared by nbval.

Everything runs eagerly on one batch and changes no weights. It needs the
TensorFlow backend, the course default.

Example:
    >>> import keras, numpy as np
    >>> inputs = keras.Input((4,), name="features")
    >>> hidden = keras.layers.Dense(3, activation="sigmoid", name="hidden")(inputs)
    >>> model = keras.Model(inputs, keras.layers.Dense(1, name="score")(hidden))
    >>> x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    >>> norms = kernel_gradient_norms(model, x, y, loss="mse")
    >>> list(norms)
    ['hidden', 'score']
    >>> format_norms({"hidden": 0.000123, "score": 0.5})
    'hidden 1.2e-04  score 5.0e-01'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["format_norms", "gradients_of", "kernel_gradient_norms", "loss_gradients"]


def gradients_of(compute_loss: Callable[[], Any], variables: Sequence[Any]) -> list[np.ndarray]:
    """Run ``compute_loss()`` under a gradient tape and return d(loss)/d(variable) for each variable.

    A variable the loss does not depend on gets an array of zeros (``tf.GradientTape``
    would give ``None``), so the result always lines up with ``variables``.

    Args:
        compute_loss: a function without arguments that returns a scalar loss,
            computed eagerly from the variables (for example by calling layers).
        variables: Keras or TensorFlow variables, e.g. ``[layer.kernel]``.

    Example:
        >>> layer = keras.layers.Dense(2)                       # doctest: +SKIP
        >>> x = np.ones((1, 3), "float32")                      # doctest: +SKIP
        >>> layer(x)                                            # doctest: +SKIP
        >>> [g.shape for g in gradients_of(lambda: keras.ops.sum(layer(x)), [layer.kernel])]   # doctest: +SKIP
        [(3, 2)]
    """
    import tensorflow as tf

    variables = list(variables)
    with tf.GradientTape() as tape:
        loss = compute_loss()
    if len(getattr(loss, "shape", ())) != 0:
        raise ValueError(f"compute_loss must return a single number (a scalar), got shape {tuple(loss.shape)}.")
    grads = tape.gradient(loss, variables)
    return [_to_numpy(g, v) for g, v in zip(grads, variables)]


def loss_gradients(
    model: Any,
    x: Any,
    y: Any,
    *,
    loss: Any,
    variables: Sequence[Any] | None = None,
    training: bool = True,
) -> list[np.ndarray]:
    """Gradients of ``loss(y, model(x))`` (averaged over the batch) for each variable.

    Args:
        model: a Keras model with one output.
        x, y: one batch of inputs and targets.
        loss: a loss name (``"mse"``, ``"sparse_categorical_crossentropy"``…), a Keras
            loss object or a function ``loss(y_true, y_pred)``.
        variables: which variables; default: ``model.trainable_variables``.
        training: call the model in training mode (as ``fit`` does).

    Example:
        >>> grads = loss_gradients(model, x, y, loss="mse")    # doctest: +SKIP
        >>> len(grads) == len(model.trainable_variables)        # doctest: +SKIP
        True
    """
    loss_fn = _loss_function(loss)
    chosen = list(model.trainable_variables if variables is None else variables)
    return gradients_of(lambda: loss_fn(y, model(x, training=training)), chosen)


def kernel_gradient_norms(
    model: Any,
    x: Any,
    y: Any,
    *,
    loss: Any,
    training: bool = True,
) -> dict[str, float]:
    """``{layer name: L2 norm of d(loss)/d(kernel)}`` for every layer with a kernel, in layer order.

    Dense and convolution layers have a ``kernel``; layers without weights (Add,
    Activation…) are skipped, biases are left out. Layers of a model used as a layer
    are included under ``"model_name/layer_name"``. A shared layer appears once: its
    gradient is the sum over all its calls.

    Example:
        >>> kernel_gradient_norms(model, x, y, loss="mse")     # doctest: +SKIP
        {'hidden': 0.0123, 'score': 0.512}
    """
    named = _kernels(model)
    if not named:
        raise ValueError(f"The model {model.name!r} has no layer with a kernel (Dense, Conv…) to measure.")
    grads = loss_gradients(model, x, y, loss=loss, variables=[kernel for _, kernel in named], training=training)
    return {name: float(np.linalg.norm(grad)) for (name, _), grad in zip(named, grads)}


def format_norms(norms: Mapping[str, float], digits: int = 2) -> str:
    """``{"a": 0.000123, "b": 0.5}`` -> ``"a 1.2e-04  b 5.0e-01"`` (``digits`` significant digits).

    Gradient norms span many orders of magnitude, so they are printed in scientific
    notation; two significant digits are stable from run to run.

    Example:
        >>> format_norms({"dense_1": 3.14159e-9})
        'dense_1 3.1e-09'
    """
    if digits < 1:
        raise ValueError(f"digits must be 1 or more, not {digits}.")
    return "  ".join(f"{name} {value:.{digits - 1}e}" for name, value in norms.items())


# ------------------------------------------------------------------ internals
def _kernels(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(name, kernel variable) for each trainable layer with a kernel, nested models included."""
    import keras

    found: list[tuple[str, Any]] = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _kernels(layer, prefix + layer.name + "/")
            continue
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and layer.trainable:
            found.append((prefix + layer.name, kernel))
    return found


def _loss_function(loss: Any) -> Callable[[Any, Any], Any]:
    """A function ``(y_true, y_pred) -> scalar`` for a loss name, object or function."""
    import keras

    resolved = keras.losses.get(loss) if isinstance(loss, str) else loss
    if resolved is None or not callable(resolved):
        raise ValueError(f"loss must be a loss name such as 'mse', a Keras loss or a function, not {loss!r}.")
    # Loss objects already average over the batch; plain loss functions give one value per sample.
    return lambda y_true, y_pred: keras.ops.mean(resolved(y_true, y_pred))


def _to_numpy(gradient: Any, variable: Any) -> np.ndarray:
    import tensorflow as tf

    if gradient is None:
        dtype = getattr(variable.dtype, "name", variable.dtype)  # tf.DType or Keras' dtype string
        return np.zeros(tuple(variable.shape), dtype=np.dtype(dtype))
    if isinstance(gradient, tf.IndexedSlices):  # e.g. the gradient of an Embedding table
        gradient = tf.convert_to_tensor(gradient)
    return np.asarray(gradient)
