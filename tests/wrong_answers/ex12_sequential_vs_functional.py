"""Wrong answers to ex12_sequential_vs_functional: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _translation(skip=(), rate=0.3, dropout_after_dense=False, conv_activation="relu", input_shape=(16, 16, 1)):
    image = keras.Input(shape=input_shape)
    x = layers.Conv2D(8, 3, activation=conv_activation)(image)
    if "pool" not in skip:
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    x = layers.Flatten()(x)
    if "dropout" not in skip and not dropout_after_dense:
        x = layers.Dropout(rate)(x)
    x = layers.Dense(32, activation="relu")(x)
    if dropout_after_dense:
        x = layers.Dropout(rate)(x)
    return keras.Model(image, layers.Dense(3, activation="softmax")(x))


def the_stack_itself():
    return keras.Sequential(
        [
            keras.Input(shape=(16, 16, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(16, 3, activation="relu"),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(32, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def still_chained():
    return keras.Sequential(
        [
            keras.Input(shape=(16, 16, 1)),
            layers.Conv2D(4, 1, padding="same", activation="relu"),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=1, padding="same"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(3, activation="softmax"),
        ]
    )


def _branches(order=("1x1", "3x3", "pool"), pool_reads="image", merge=layers.Concatenate, wide_kernel=3):
    image = keras.Input(shape=(16, 16, 1))
    found = {
        "1x1": layers.Conv2D(4, 1, padding="same", activation="relu")(image),
        "3x3": layers.Conv2D(4, wide_kernel, padding="same", activation="relu")(image),
    }
    source = image if pool_reads == "image" else found["1x1"]
    found["pool"] = layers.MaxPooling2D(3, strides=1, padding="same")(source)
    joined = merge()([found[name] for name in order])
    summary = layers.GlobalAveragePooling2D()(joined)
    return keras.Model(image, layers.Dense(3, activation="softmax")(summary))


WRONG = {
    "q1": [
        ("the Sequential stack returned unchanged", the_stack_itself, "not keras.Sequential"),
        ("pooling forgotten", lambda: _translation(skip=("pool",)), "no MaxPooling2D layer"),
        ("dropout forgotten", lambda: _translation(skip=("dropout",)), "no Dropout layer"),
        ("dropout rate changed", lambda: _translation(rate=0.5), "rate=0.5"),
        ("dropout after the hidden Dense", lambda: _translation(dropout_after_dense=True), "connected differently"),
        ("first convolution without relu", lambda: _translation(conv_activation=None), "activation='linear'"),
        ("three colour channels", lambda: _translation(input_shape=(16, 16, 3)), "Input 1 has shape (None, 16, 16, 3)"),
    ],
    "q2": [
        ("padding ignored in the first convolution", (None, 10 * 10 * 12), "Axis 1"),
        ("not flattened", (None, 8, 8, 12), "4 dimensions"),
        ("filters of the first convolution", (None, 8 * 8 * 6), "Axis 1"),
        ("batch axis left out", (768,), "1 dimensions"),
    ],
    "q3": [
        ("the repeated layer", "A", "not the answer"),
        ("the Lambda activation", "B", "not the answer"),
        ("batch normalisation and dropout", "D", "not the answer"),
        ("a description instead of the letter", "two outputs", "should be one of"),
    ],
    "q4": [
        ("still a chain", still_chained, "no Concatenate layer"),
        ("3x3 joined first", lambda: _branches(order=("3x3", "1x1", "pool")), "different order"),
        ("pooling reads the 1x1 branch", lambda: _branches(pool_reads="1x1"), "connected differently"),
        ("Add instead of Concatenate", lambda: _branches(merge=layers.Add), "no Concatenate layer"),
        ("5x5 instead of 3x3", lambda: _branches(wide_kernel=5), "kernel_size=(5, 5)"),
    ],
}
