"""course_utils.gradients: gradients outside fit, per-layer kernel norms, stable printing."""

from __future__ import annotations

import doctest

import course_utils  # noqa: F401
import keras
import numpy as np
import pytest

import course_utils.gradients as gradients_module
from course_utils.gradients import format_norms, gradients_of, kernel_gradient_norms, loss_gradients
from course_utils.training import reset


def stack(depth: int, skip: bool) -> keras.Model:
    inputs = keras.Input((4,), name="features")
    x = keras.layers.Dense(8, activation="sigmoid", name="dense_0")(inputs)
    for number in range(1, depth + 1):
        y = keras.layers.Dense(8, activation="sigmoid", name=f"dense_{number}")(x)
        x = keras.layers.Add(name=f"add_{number}")([x, y]) if skip else y
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="classes")(x))


def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 4)).astype("float32"), rng.integers(0, 2, size=16)


def test_docstring_examples_run():
    assert doctest.testmod(gradients_module).failed == 0


def test_kernel_norms_follow_layer_order_and_skip_weightless_layers():
    reset(0)
    x, y = batch()
    norms = kernel_gradient_norms(stack(3, skip=True), x, y, loss="sparse_categorical_crossentropy")
    assert list(norms) == ["dense_0", "dense_1", "dense_2", "dense_3", "classes"]
    assert all(isinstance(value, float) and value > 0 for value in norms.values())


def test_plain_sigmoid_stack_vanishes_and_skips_keep_the_gradient():
    x, y = batch()
    reset(0)
    plain = kernel_gradient_norms(stack(12, skip=False), x, y, loss="sparse_categorical_crossentropy")
    reset(0)
    skips = kernel_gradient_norms(stack(12, skip=True), x, y, loss="sparse_categorical_crossentropy")
    assert plain["dense_0"] < 1e-4 * plain["classes"]
    assert skips["dense_0"] > 1e3 * plain["dense_0"]


def test_norms_match_a_hand_written_tape_and_change_no_weight():
    import tensorflow as tf

    reset(0)
    model = stack(2, skip=False)
    x, y = batch()
    before = [w.copy() for w in model.get_weights()]
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy()(y, model(x, training=True))
    expected = [float(np.linalg.norm(g)) for g in tape.gradient(loss, kernels)]
    norms = kernel_gradient_norms(model, x, y, loss=keras.losses.SparseCategoricalCrossentropy())
    assert np.allclose(list(norms.values()), expected)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_loss_gradients_default_to_all_trainable_variables():
    reset(0)
    model = stack(1, skip=False)
    x, y = batch()
    grads = loss_gradients(model, x, y, loss="sparse_categorical_crossentropy")
    assert [g.shape for g in grads] == [tuple(v.shape) for v in model.trainable_variables]


def test_shared_layer_gradient_is_the_sum_of_its_calls():
    reset(0)
    shared = keras.layers.Dense(3, name="shared")
    a = np.ones((2, 4), "float32")
    b = np.full((2, 4), 2.0, "float32")
    shared(a)

    def loss(left: bool = True, right: bool = True):
        left_out, right_out = shared(a), shared(b)
        if not left:
            left_out = keras.ops.stop_gradient(left_out)
        if not right:
            right_out = keras.ops.stop_gradient(right_out)
        return keras.ops.sum(left_out * right_out)

    (both,) = gradients_of(loss, [shared.kernel])
    (left,) = gradients_of(lambda: loss(right=False), [shared.kernel])
    (right,) = gradients_of(lambda: loss(left=False), [shared.kernel])
    assert np.allclose(both, left + right)
    assert not np.allclose(both, left)


def test_unused_variable_gets_zeros_and_embeddings_work():
    reset(0)
    used, unused = keras.layers.Dense(2), keras.layers.Dense(2)
    x = np.ones((1, 3), "float32")
    used(x)
    unused(x)
    grads = gradients_of(lambda: keras.ops.sum(used(x)), [used.kernel, unused.kernel])
    assert grads[1].shape == (3, 2) and not grads[1].any()
    table = keras.layers.Embedding(5, 2)
    ids = np.array([[1, 1, 3]])
    table(ids)
    (grad,) = gradients_of(lambda: keras.ops.sum(table(ids)), [table.embeddings])
    assert grad.tolist() == [[0, 0], [2, 2], [0, 0], [1, 1], [0, 0]]


def test_nested_models_are_named_by_path():
    reset(0)
    inner_input = keras.Input((4,), name="inner_input")
    encoder = keras.Model(inner_input, keras.layers.Dense(3, name="code")(inner_input), name="encoder")
    outer_input = keras.Input((4,), name="features")
    model = keras.Model(outer_input, keras.layers.Dense(1, name="score")(encoder(outer_input)))
    x = np.ones((2, 4), "float32")
    norms = kernel_gradient_norms(model, x, np.zeros((2, 1), "float32"), loss="mse")
    assert list(norms) == ["encoder/code", "score"]


def test_errors_say_what_to_do():
    reset(0)
    inputs = keras.Input((4,), name="features")
    weightless = keras.Model(inputs, keras.layers.Activation("relu")(inputs), name="weightless")
    with pytest.raises(ValueError, match="no layer with a kernel"):
        kernel_gradient_norms(weightless, np.ones((2, 4), "float32"), np.ones((2, 4), "float32"), loss="mse")
    with pytest.raises(ValueError, match="scalar"):
        layer = keras.layers.Dense(2)
        x = np.ones((1, 3), "float32")
        layer(x)
        gradients_of(lambda: layer(x), [layer.kernel])
    with pytest.raises(ValueError, match="loss must be"):
        loss_gradients(stack(1, skip=False), *batch(), loss=3)
    with pytest.raises(ValueError, match="digits"):
        format_norms({"a": 1.0}, digits=0)


def test_format_norms_uses_significant_digits():
    assert format_norms({"dense_0": 1.04e-13, "classes": 0.4912}) == "dense_0 1.0e-13  classes 4.9e-01"
    assert format_norms({"x": 123.456}, digits=3) == "x 1.23e+02"
