"""Right answers to ex02_functional_basics."""

import keras
from keras import layers


def sequential_spelling():
    return keras.Sequential(
        [
            keras.Input(shape=(10,)),
            layers.Dense(32, activation="relu"),
            layers.Dropout(0.25),
            layers.Dense(16, activation="relu"),
            layers.Dense(4, activation="softmax"),
        ]
    )


def activations_as_layers():
    readings = keras.Input(shape=(10,))
    x = layers.Activation("relu")(layers.Dense(32)(readings))
    x = layers.Dropout(0.25)(x)
    x = layers.ReLU()(layers.Dense(16)(x))
    return keras.Model(readings, layers.Softmax()(layers.Dense(4)(x)))


def lists_and_other_names():
    inputs = keras.Input(shape=(10,), name="x")
    h = layers.Dense(32, activation="relu", name="a")(inputs)
    h = layers.Dropout(rate=0.25, name="b")(h)
    h = layers.Dense(16, activation="relu", name="c")(h)
    probabilities = layers.Dense(4, activation="softmax", name="d")(h)
    return keras.Model(inputs=[inputs], outputs=[probabilities])


def extractor_by_index(stack):
    return keras.Model(stack.inputs, stack.layers[2].output)


def extractor_as_list(stack):
    return keras.Model(stack.inputs, [stack.get_layer("hidden_2").output], name="features")


def extractor_from_a_new_input(stack):
    readings = keras.Input(shape=(10,))
    x = readings
    for name in ("hidden_1", "dropout", "hidden_2"):
        x = stack.get_layer(name)(x)
    return keras.Model(readings, x)


def extractor_as_sequential(stack):
    return keras.Sequential([keras.Input(shape=(10,)), *stack.layers[:3]])


RIGHT = {
    "q1": [
        ("Sequential spelling", sequential_spelling),
        ("activations as layers", activations_as_layers),
        ("lists and other names", lists_and_other_names),
    ],
    "q3": [
        ("layers by index", extractor_by_index),
        ("one-element output list", extractor_as_list),
        ("stack's layers called on a new input", extractor_from_a_new_input),
        ("a Sequential of stack's layers", extractor_as_sequential),
    ],
}
