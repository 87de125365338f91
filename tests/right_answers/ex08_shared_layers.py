"""Right answers to ex08_shared_layers."""

import keras
from keras import layers


def siamese_nested_sequential_encoder():
    encoder = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(12, activation="relu"), layers.Dense(6)], name="encoder")
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    difference = layers.subtract([encoder(left), encoder(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(difference))


def siamese_nested_functional_encoder():
    record = keras.Input(shape=(8,))
    encoder = keras.Model(record, layers.Dense(6)(layers.Dense(12, activation="relu")(record)))
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    difference = layers.Subtract()([encoder(left), encoder(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(difference))


def siamese_shared_activation_layers():
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    hidden, relu, encoding = layers.Dense(12), layers.ReLU(), layers.Dense(6)
    difference = layers.Subtract()([encoding(relu(hidden(left))), encoding(relu(hidden(right)))])
    return keras.Model([left, right], layers.Activation("sigmoid")(layers.Dense(1)(difference)))


def siamese_minus_operator_and_a_sequential_without_input():
    encoder = keras.Sequential([layers.Dense(12, activation=keras.activations.relu), layers.Dense(6)])
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(encoder(left) - encoder(right)))


def text_nested_encoder():
    text = keras.Input(shape=(8,), dtype="int32")
    encoder = keras.Model(text, layers.GlobalAveragePooling1D()(layers.Embedding(10, 6)(text)), name="text_encoder")
    first = keras.Input(shape=(8,), dtype="int32", name="first_text")
    second = keras.Input(shape=(8,), dtype="int32", name="second_text")
    cosine = layers.Dot(axes=1, normalize=True)([encoder(first), encoder(second)])
    return keras.Model([first, second], layers.Dense(1, activation="sigmoid")(cosine))


def text_nested_sequential_encoder():
    encoder = keras.Sequential([keras.Input(shape=(8,), dtype="int32"), layers.Embedding(10, 6), layers.GlobalAveragePooling1D()])
    first = keras.Input(shape=(8,), dtype="int32", name="first_text")
    second = keras.Input(shape=(8,), dtype="int32", name="second_text")
    cosine = layers.dot([encoder(first), encoder(second)], axes=-1, normalize=True)
    return keras.Model([first, second], layers.Activation("sigmoid")(layers.Dense(1)(cosine)))


def text_shared_layers_in_a_loop():
    first = keras.Input(shape=(8,), dtype="int32", name="first_text")
    second = keras.Input(shape=(8,), dtype="int32", name="second_text")
    table = layers.Embedding(input_dim=10, output_dim=6)
    pool = layers.GlobalAveragePooling1D()
    codes = [pool(table(text)) for text in (first, second)]
    return keras.Model(inputs=[first, second], outputs=[layers.Dense(1, activation="sigmoid")(layers.Dot(axes=1, normalize=True)(codes))])


def whole_encoder_sequential():
    encoder = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(12, activation="relu"), layers.Dense(6)])
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(layers.Subtract()([encoder(left), encoder(right)])))


def whole_encoder_activation_layers():
    record = keras.Input(shape=(8,))
    encoder = keras.Model(record, layers.Dense(6)(layers.ReLU()(layers.Dense(12)(record))), name="my_encoder")
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    difference = layers.subtract([encoder(left), encoder(right)])
    return keras.Model([left, right], layers.Activation("sigmoid")(layers.Dense(1)(difference)))


def whole_encoder_nested_twice():
    inner = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(12, activation="relu")])
    record = keras.Input(shape=(8,))
    encoder = keras.Model(record, layers.Dense(6)(inner(record)))
    left = keras.Input(shape=(8,), name="left")
    right = keras.Input(shape=(8,), name="right")
    return keras.Model(inputs=[left, right], outputs=[layers.Dense(1, activation="sigmoid")(layers.Subtract()([encoder(left), encoder(right)]))])


RIGHT = {
    "q1": [
        ("encoder as a nested Sequential", siamese_nested_sequential_encoder),
        ("encoder as a nested Functional model", siamese_nested_functional_encoder),
        ("shared ReLU layer", siamese_shared_activation_layers),
        ("the - operator, a Sequential built by its first call", siamese_minus_operator_and_a_sequential_without_input),
    ],
    "q3": [
        ("encoder as a nested model", text_nested_encoder),
        ("encoder as a nested Sequential, functional dot", text_nested_sequential_encoder),
        ("shared layers in a loop", text_shared_layers_in_a_loop),
    ],
    "q4": [
        ("the encoder is a Sequential", whole_encoder_sequential),
        ("activations as layers inside the encoder", whole_encoder_activation_layers),
        ("a model inside the encoder", whole_encoder_nested_twice),
    ],
}
