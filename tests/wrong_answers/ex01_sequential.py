"""Wrong answers to ex01_sequential: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def one_hidden_layer():
    return keras.Sequential(
        [keras.Input(shape=(8,)), layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")]
    )


def wrong_input_size():
    return keras.Sequential(
        [
            keras.Input(shape=(4,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def wrong_output_size():
    return keras.Sequential(
        [
            keras.Input(shape=(8,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )


def wrong_activation():
    return keras.Sequential(
        [
            keras.Input(shape=(8,)),
            layers.Dense(16, activation="tanh"),
            layers.Dense(16, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def not_a_model():
    return layers.Dense(3)


def raises():
    return keras.Sequential([keras.Input(shape=(8,)), layers.Dense(16, activation="relu")])(3)


WRONG = {
    "q1": [
        ("one hidden layer missing", one_hidden_layer, "2 Dense layers, fewer"),
        ("wrong input shape", wrong_input_size, "Input 1 has shape (None, 4)"),
        ("wrong number of classes", wrong_output_size, "Output 1 has shape (None, 2)"),
        ("tanh instead of relu", wrong_activation, "activation='tanh'"),
        ("returns a layer", not_a_model, "should return a keras.Model"),
    ],
    "q2": [
        ("biases forgotten", 8 * 16 + 16 * 16 + 16 * 3, "too low"),
        ("a word", "467", "should be a number"),
        ("double counted", 934, "too high"),
    ],
    "q3": [
        ("batch axis left out", (3,), "1 dimensions"),
        ("symbolic batch", (None, 3), "Axis 0"),
        ("classes and batch swapped", (3, 5), "Axis 0"),
        ("not a tuple", 15, "should be a shape"),
    ],
    "q4": [
        ("the slow one", 0.0001, "too low"),
        ("a made-up rate", 0.1, "too high"),
        ("a word", "fast", "should be a number"),
    ],
}
