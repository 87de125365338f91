"""Right answers to ex04_merging."""

import keras
from keras import layers


def projection_functional_add():
    features = keras.Input(shape=(6,))
    hidden = layers.Dense(16, activation="relu")(layers.Dense(16, activation="relu")(features))
    return keras.Model(features, layers.Dense(1, activation="sigmoid")(layers.add([hidden, layers.Dense(16)(features)])))


def projection_activation_layers():
    features = keras.Input(shape=(6,))
    hidden = layers.ReLU()(layers.Dense(16)(features))
    hidden = layers.Activation("relu")(layers.Dense(16)(hidden))
    summed = layers.Add()([layers.Dense(16, activation=None)(features), hidden])
    return keras.Model(features, layers.Activation("sigmoid")(layers.Dense(1)(summed)))


def projection_nested_path():
    path = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")])
    features = keras.Input(shape=(6,))
    summed = layers.Add()([layers.Dense(16)(features), path(features)])
    return keras.Model([features], [layers.Dense(1, activation="sigmoid")(summed)])


def projection_plus_operator():
    features = keras.Input(shape=(6,))
    hidden = layers.Dense(16, activation="relu")(layers.Dense(16, activation="relu")(features))
    return keras.Model(features, layers.Dense(1, activation="sigmoid")(layers.Dense(16)(features) + hidden))


def comparison_functional_merges():
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    joined = layers.concatenate(
        [layers.subtract([left, right]), layers.multiply([left, right]), layers.dot([left, right], axes=1, normalize=True)]
    )
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(layers.Dense(16, activation="relu")(joined)))


def comparison_activation_layers():
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    joined = layers.Concatenate()(
        [layers.Subtract()([left, right]), layers.Multiply()([right, left]), layers.Dot(axes=-1, normalize=True)([left, right])]
    )
    hidden = layers.ReLU()(layers.Dense(16)(joined))
    return keras.Model([left, right], layers.Activation("sigmoid")(layers.Dense(1)(hidden)))


def comparison_dict_free_names():
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    merges = [
        layers.Subtract(name="minus")([left, right]),
        layers.Multiply(name="times")([left, right]),
        layers.Dot(axes=(1, 1), normalize=True, name="cos")([left, right]),
    ]
    hidden = layers.Dense(16, activation="relu", name="mix")(layers.Concatenate(axis=1, name="all")(merges))
    return keras.Model(inputs=[left, right], outputs=[layers.Dense(1, activation="sigmoid", name="p")(hidden)])


RIGHT = {
    "q3": [
        ("functional add, skip listed second", projection_functional_add),
        ("activations as layers", projection_activation_layers),
        ("hidden path as a nested Sequential", projection_nested_path),
        ("the + operator on tensors", projection_plus_operator),
    ],
    "q4": [
        ("functional merges", comparison_functional_merges),
        ("activations as layers, Multiply inputs swapped", comparison_activation_layers),
        ("other names, positive axes", comparison_dict_free_names),
    ],
}
