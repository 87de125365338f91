"""course_utils.checks.compare_models: right alternatives pass, classic mistakes get their reason."""

from __future__ import annotations

import warnings

import course_utils  # noqa: F401
import keras
import numpy as np
import pytest
from keras import layers

from course_utils.checks import compare_models
from course_utils.training import reset


def trunk_model(order=("left", "right"), skip=True, heads=2, rewire=False, names=False):
    a = keras.Input((8,), name="x" if names else None)
    b = keras.Input((4,), name="meta" if names else None)
    h = layers.Dense(16, activation="relu", name="trunk" if names else None)(a)
    paths = {"left": layers.Dense(6)(h)}
    paths["right"] = layers.Dense(5)(paths["left"] if rewire else h)
    side = layers.Dense(16)(h)
    merged = layers.add([side, h]) if skip else side
    joined = layers.concatenate([paths[order[0]], paths[order[1]], b, merged])
    outputs = [layers.Dense(3, activation="softmax")(joined), layers.Dense(1)(joined)][:heads]
    return keras.Model([a, b], outputs if heads > 1 else outputs[0])


def siamese(shared=True, swap=False):
    a = keras.Input((4,))
    b = keras.Input((4,))
    first = layers.Dense(8)
    second = first if shared else layers.Dense(8)
    left, right = first(a), second(b)
    return keras.Model([a, b], layers.Subtract()([right, left] if swap else [left, right]))


def judge(learner_builder, reference_builder):
    reset(0)
    learner = learner_builder()
    reset(0)
    return compare_models(learner, reference_builder())


def test_other_names_branch_order_and_functional_merges_pass():
    assert judge(lambda: trunk_model(names=True), trunk_model) is None


@pytest.mark.parametrize(
    "learner, reference, reason",
    [
        (lambda: trunk_model(order=("right", "left")), trunk_model, "inputs of 'concatenate' come in a different order"),
        (lambda: trunk_model(skip=False), trunk_model, "no Add layer: a skip connection"),
        (lambda: trunk_model(heads=1), trunk_model, "1 output, but this design needs a different number of heads"),
        (lambda: trunk_model(rewire=True), trunk_model, "connected differently: check what feeds"),
        (lambda: siamese(shared=False), siamese, "The Dense(8) layer should be created once"),
        (siamese, lambda: siamese(shared=False), "calls one Dense layer 2 times"),
        (lambda: siamese(swap=True), siamese, "inputs of 'subtract' come in a different order"),
    ],
)
def test_classic_mistakes_get_their_reason(learner, reference, reason):
    message = judge(learner, reference)
    assert message is not None and reason in message, message


def test_the_mistaken_layer_is_the_one_blamed():
    def block(projection_activation=None):
        x = keras.Input((6,))
        hidden = layers.Dense(16, activation="relu")(x)
        projection = layers.Dense(16, activation=projection_activation, name="projection")(x)
        return keras.Model(x, layers.Add()([hidden, projection]))

    assert "Layer 'projection' (Dense: units=16, activation='relu')" in judge(lambda: block("relu"), block)


@pytest.mark.parametrize(
    "learner, reference",
    [
        (lambda: layers.Dot(axes=-1, normalize=True), lambda: layers.Dot(axes=1, normalize=True)),
        (lambda: layers.Concatenate(axis=1), lambda: layers.Concatenate()),
    ],
)
def test_equivalent_axes_are_equal(learner, reference):
    def model(merge):
        a, b = keras.Input((8,)), keras.Input((8,))
        return keras.Model([a, b], merge()([a, b]))

    assert judge(lambda: model(learner), lambda: model(reference)) is None


def named_inputs(names=("image", "meta"), as_list=None):
    image = keras.Input((6, 6, 1), name=names[0])
    meta = keras.Input((3,), name=names[1])
    out = layers.Dense(1)(layers.Concatenate()([layers.Flatten()(image), meta]))
    if as_list:
        return keras.Model([meta, image] if as_list == "swapped" else [image, meta], out)
    return keras.Model({names[0]: image, names[1]: meta}, out)


def test_inputs_in_another_order_and_with_other_names_are_explained():
    assert "in a different order" in judge(lambda: named_inputs(as_list="swapped"), lambda: named_inputs(as_list="kept"))
    assert "named 'img', 'metadata'" in judge(lambda: named_inputs(("img", "metadata")), named_inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the behaviour step feeds dict models a dict: no structure warning
        assert judge(named_inputs, named_inputs) is None


def test_behaviour_check_leaves_the_learners_weights_alone():
    reset(1)
    learner = trunk_model()
    before = [w.copy() for w in learner.get_weights()]
    reset(0)
    assert compare_models(learner, trunk_model()) is None
    assert all(np.array_equal(a, b) for a, b in zip(before, learner.get_weights()))


def test_same_graph_but_other_computation_is_caught():
    class Doubling(layers.Layer):
        def call(self, x):
            return x * 2.0

    class Halving(layers.Layer):
        def call(self, x):
            return x * 0.5

    # the same class name (as when a learner redefines a custom layer), other arithmetic: only behaviour can tell
    Doubling.__qualname__ = Halving.__name__ = Halving.__qualname__ = "Doubling"

    def model(kind):
        x = keras.Input((3,))
        return keras.Model(x, kind()(layers.Dense(2)(x)))

    assert "computes something else" in judge(lambda: model(Halving), lambda: model(Doubling))


def test_attention_with_the_key_spelled_out_equals_the_default():
    def block(spell_key):
        x = keras.Input((5, 8))
        attention = layers.MultiHeadAttention(num_heads=2, key_dim=4)
        attended = attention(x, x, x) if spell_key else attention(x, x)
        return keras.Model(x, layers.Add()([x, attended]))

    assert judge(lambda: block(True), lambda: block(False)) is None


# ------------------------------------------------- canonical spellings and their messages
def dense_stack(spelling="setting"):
    """8 -> Dense(16, relu) -> Dense(3, softmax), with the activations spelled in several ways."""
    x = keras.Input((8,))
    if spelling == "setting":
        return keras.Model(x, layers.Dense(3, activation="softmax")(layers.Dense(16, activation="relu")(x)))
    if spelling == "layers":
        return keras.Model(x, layers.Softmax()(layers.Dense(3)(layers.ReLU()(layers.Dense(16)(x)))))
    if spelling == "ops":
        return keras.Model(x, layers.Dense(3, activation="softmax")(keras.ops.relu(layers.Dense(16)(x))))
    if spelling == "nested":
        inner = keras.Sequential([keras.Input((8,)), layers.Dense(16), layers.Activation("relu")])
        return keras.Model([x], [layers.Dense(3, activation="softmax")(inner(x))])
    raise ValueError(spelling)


@pytest.mark.parametrize("spelling", ["layers", "nested"])
def test_folded_spellings_are_the_same_design(spelling):
    assert judge(lambda: dense_stack(spelling), dense_stack) is None
    assert judge(dense_stack, lambda: dense_stack(spelling)) is None


def test_an_activation_that_cannot_fold_stays_a_difference():
    def relu_after_a_relu():
        x = keras.Input((8,))
        return keras.Model(x, layers.Dense(3, activation="softmax")(layers.ReLU()(layers.Dense(16, activation="relu")(x))))

    message = judge(relu_after_a_relu, dense_stack)
    assert message == "Your model uses a ReLU layer ('re_lu') that this design does not need.", message

    def extra_activation():
        x = keras.Input((8,))
        hidden = layers.Activation("relu")(layers.Dense(16, activation="relu")(x))
        return keras.Model(x, layers.Dense(3, activation="softmax")(hidden))

    message = judge(extra_activation, dense_stack)
    assert message == "Your model uses an Activation layer ('activation') that this design does not need.", message


def test_an_unfolded_spelling_is_told_what_to_write():
    message = judge(lambda: dense_stack("ops"), dense_stack)
    assert "applies relu with keras.ops directly" in message and "activation='relu' on the layer before it" in message, message


def test_a_missing_stand_alone_activation_is_named_as_the_reference_writes_it():
    def summed(activation):
        a, b = keras.Input((4,)), keras.Input((4,))
        added = layers.Add()([a, b])
        return keras.Model([a, b], activation(added) if activation else added)

    message = judge(lambda: summed(None), lambda: summed(layers.Softmax()))
    assert message.startswith("Your model has no Softmax layer"), message
    assert judge(lambda: summed(layers.Activation("softmax")), lambda: summed(layers.Softmax())) is None
    assert judge(lambda: summed(layers.ReLU()), lambda: summed(layers.Activation("relu"))) is None


def test_softmax_on_another_axis_is_a_setting_and_says_which():
    def scores(axis):
        x = keras.Input((4, 6))
        return keras.Model(x, layers.Softmax(axis=axis)(layers.Dense(6)(x)))

    assert judge(lambda: scores(2), lambda: scores(-1)) is None
    message = judge(lambda: scores(1), lambda: scores(-1))
    assert "(Softmax: axis=1)" in message, message


def test_a_sequential_sub_model_counts_as_a_nested_model():
    def siamese_encoder(kind):
        if kind == "sequential":
            encoder = keras.Sequential([keras.Input((4,)), layers.Dense(8)])
        else:
            record = keras.Input((4,))
            encoder = keras.Model(record, layers.Dense(8)(record))
        a, b = keras.Input((4,)), keras.Input((4,))
        return keras.Model([a, b], layers.Subtract()([encoder(a), encoder(b)]))

    reset(0)
    learner = siamese_encoder("sequential")
    reset(0)
    assert compare_models(learner, siamese_encoder("functional"), nested=True) is None
    reset(0)
    plain = siamese()
    reset(0)
    message = compare_models(plain, siamese_encoder("functional"), nested=True)
    assert message.startswith("Your model does not call another model as a layer") and "keras.Sequential counts too" in message
    assert judge(siamese, lambda: siamese_encoder("sequential")) is None  # not asked for: the layers alone are the design


def test_weightless_layers_are_not_said_to_share_weights():
    def pooled(shared):
        a, b = keras.Input((5, 3)), keras.Input((5, 3))
        first = layers.GlobalAveragePooling1D()
        second = first if shared else layers.GlobalAveragePooling1D()
        return keras.Model([a, b], layers.Concatenate()([first(a), second(b)]))

    message = judge(lambda: pooled(True), lambda: pooled(False))
    assert message == "Your model calls one GlobalAveragePooling1D layer 2 times; this design needs a separate layer for each call."
    message = judge(lambda: pooled(False), lambda: pooled(True))
    assert "share weights" not in message and "GlobalAveragePooling1D layer should be created once" in message, message


def test_reuse_of_a_given_model_is_verified_by_layer_identity():
    from course_utils.checks.models import reuse_difference
    from course_utils.checks.problems import given_layer_paths, layers_at

    reset(0)
    stack = dense_stack()
    reused = keras.Model(stack.inputs, stack.layers[1].output)
    fresh_stack = dense_stack()
    fresh = keras.Model(fresh_stack.inputs, fresh_stack.layers[1].output)
    own = {id(layer) for layer in stack.layers}
    assert given_layer_paths(reused, stack) == [stack.layers[1].name]
    assert layers_at(reused, given_layer_paths(reused, stack)) == {id(stack.layers[1])}
    assert reuse_difference(reused, reused, own, own, "stack") is None
    message = reuse_difference(fresh, reused, set(), own, "stack")
    assert message.startswith("Your model has the right design, but its layer") and "build it from stack's own layers" in message
