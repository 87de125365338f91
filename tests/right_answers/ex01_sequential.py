"""Right answers to ex01_sequential: a 8 -> 16 -> 16 -> 3 stack."""

import keras
from keras import layers


def functional():
    features = keras.Input(shape=(8,))
    x = layers.Dense(16, activation="relu")(features)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(features, layers.Dense(3, activation="softmax")(x))


def activations_as_layers():
    return keras.Sequential(
        [
            keras.Input(shape=(8,)),
            layers.Dense(16),
            layers.Activation("relu"),
            layers.Dense(16),
            layers.ReLU(),
            layers.Dense(3),
            layers.Softmax(),
        ]
    )


def built_with_add():
    model = keras.Sequential(name="my_stack")
    model.add(keras.Input(shape=(8,)))
    model.add(layers.Dense(16, activation="relu", name="first"))
    model.add(layers.Dense(16, activation="relu", name="second"))
    model.add(layers.Dense(3, activation="softmax", name="scores"))
    return model


def nested_trunk():
    trunk = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")])
    features = keras.Input(shape=(8,))
    return keras.Model([features], [layers.Dense(3, activation="softmax")(trunk(features))])


RIGHT = {
    "q1": [
        ("functional", functional),
        ("activations as layers", activations_as_layers),
        ("model.add", built_with_add),
        ("nested trunk, one-element lists", nested_trunk),
    ],
}
