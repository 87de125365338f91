"""Wrong answers to ex02_functional_basics: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _chain(readings, *stack_layers):
    x = readings
    for layer in stack_layers:
        x = layer(x)
    return x


def no_dropout():
    readings = keras.Input(shape=(10,))
    outputs = _chain(
        readings,
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(4, activation="softmax"),
    )
    return keras.Model(readings, outputs)


def dropout_in_the_wrong_place():
    readings = keras.Input(shape=(10,))
    outputs = _chain(
        readings,
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(4, activation="softmax"),
    )
    return keras.Model(readings, outputs)


def wrong_dropout_rate():
    readings = keras.Input(shape=(10,))
    outputs = _chain(
        readings,
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(16, activation="relu"),
        layers.Dense(4, activation="softmax"),
    )
    return keras.Model(readings, outputs)


def wrong_units():
    readings = keras.Input(shape=(10,))
    outputs = _chain(
        readings,
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(32, activation="relu"),
        layers.Dense(4, activation="softmax"),
    )
    return keras.Model(readings, outputs)


def wrong_input_size():
    readings = keras.Input(shape=(8,))
    outputs = _chain(
        readings,
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(16, activation="relu"),
        layers.Dense(4, activation="softmax"),
    )
    return keras.Model(readings, outputs)


def tensor_not_model():
    readings = keras.Input(shape=(10,))
    return _chain(
        readings,
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(16, activation="relu"),
        layers.Dense(4, activation="softmax"),
    )


def _stack():
    return keras.Sequential(
        [
            keras.Input(shape=(10,), name="readings"),
            layers.Dense(32, activation="relu", name="hidden_1"),
            layers.Dropout(0.25, name="dropout"),
            layers.Dense(16, activation="relu", name="hidden_2"),
            layers.Dense(4, activation="softmax", name="classes"),
        ]
    )


def extractor_at_hidden_1():
    stack = _stack()
    return keras.Model(stack.inputs, stack.get_layer("hidden_1").output)


def whole_classifier():
    stack = _stack()
    return keras.Model(stack.inputs, stack.get_layer("classes").output)


def starts_in_the_middle():
    stack = _stack()
    return keras.Model(stack.get_layer("hidden_1").output, stack.get_layer("hidden_2").output)


def fresh_extractor():
    """The right design, but from new layers: what stack learned is thrown away."""
    stack = _stack()
    return keras.Model(stack.inputs, stack.get_layer("hidden_2").output)


def extractor_tensor():
    stack = _stack()
    return stack.get_layer("hidden_2").output


WRONG = {
    "q1": [
        ("Dropout left out", no_dropout, "no Dropout layer"),
        ("Dropout after hidden_2", dropout_in_the_wrong_place, "connected differently"),
        ("Dropout rate 0.5", wrong_dropout_rate, "rate=0.5"),
        ("hidden_2 with 32 units", wrong_units, "units=32"),
        ("8 input features", wrong_input_size, "Input 1 has shape (None, 8)"),
        ("keras.Model forgotten", tensor_not_model, "should return a keras.Model"),
    ],
    "q2": [
        ("the kernel's shape", (32, 16), "Axis 0"),
        ("the width of hidden_1", (None, 32), "Axis 1"),
        ("batch axis left out", (16,), "1 dimensions"),
        ("a string", "(None, 16)", "should be a shape"),
    ],
    "q3": [
        ("ends at hidden_1", extractor_at_hidden_1, "Output 1 has shape (None, 32)"),
        ("the whole classifier", whole_classifier, "Output 1 has shape (None, 4)"),
        ("starts at hidden_1's output", starts_in_the_middle, "Input 1 has shape (None, 32)"),
        ("keras.Model forgotten", extractor_tensor, "should return a keras.Model"),
        ("new layers of the same shapes", fresh_extractor, "build it from stack's own layers"),
    ],
    "q4": [
        ("the copy", "snapshot", "not the answer"),
        ("the trained model", "classifier", "not the answer"),
        ("both", "both", "not the answer"),
    ],
}
