"""Wrong answers to ex03_branching: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _three_paths(order="raw wide deep", deep_layers=2, deep_2_reads_input=False, wide_activation="relu",
                 head=(2, "softmax"), wide_reads_deep=False):
    features = keras.Input(shape=(10,))
    deep_1 = layers.Dense(16, activation="relu")(features)
    wide = layers.Dense(32, activation=wide_activation)(deep_1 if wide_reads_deep else features)
    deep = deep_1
    if deep_layers == 2:
        deep = layers.Dense(16, activation="relu")(features if deep_2_reads_input else deep_1)
    paths = {"raw": features, "wide": wide, "deep": deep}
    joined = layers.Concatenate()([paths[name] for name in order.split()])
    outputs = layers.Dense(head[0], activation=head[1])(joined)
    return keras.Model(features, outputs)


def _inception(order=("1x1", "3x3", "5x5", "pool"), squeeze=True, pool_conv=True, squeeze_feeds_5x5=False,
               global_pool=layers.GlobalMaxPooling2D, pool_strides=1, filters_5x5=4):
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    squeezed = layers.Conv2D(4, 1, activation="relu")(stem) if squeeze else stem
    paths = {
        "1x1": layers.Conv2D(8, 1, activation="relu")(stem),
        "3x3": layers.Conv2D(8, 3, padding="same", activation="relu")(squeezed),
        "5x5": layers.Conv2D(filters_5x5, 5, padding="same", activation="relu")(squeezed if squeeze_feeds_5x5 else stem),
    }
    pooled = layers.MaxPooling2D(3, strides=pool_strides, padding="same")(stem)
    paths["pool"] = layers.Conv2D(4, 1, activation="relu")(pooled) if pool_conv else pooled
    mixed = layers.Concatenate()([paths[name] for name in order])
    outputs = layers.Dense(3, activation="softmax")(global_pool()(mixed))
    return keras.Model(image, outputs)


def _fixed(padding_3x3="same", kernel_3x3=3, pool_size=3, pool_strides=1, zero_pad=False, pool_path=True):
    image = keras.Input(shape=(12, 12, 3))
    path_1x1 = layers.Conv2D(8, 1, activation="relu")(image)
    path_3x3 = layers.Conv2D(8, kernel_3x3, padding=padding_3x3, activation="relu")(image)
    if zero_pad:
        path_3x3 = layers.ZeroPadding2D(1)(path_3x3)
    paths = [path_1x1, path_3x3]
    if pool_path:
        pooled = layers.MaxPooling2D(pool_size, strides=pool_strides, padding="same")(image)
        paths.append(layers.Conv2D(4, 1, activation="relu")(pooled))
    mixed = layers.Concatenate()(paths)
    outputs = layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(mixed))
    return keras.Model(image, outputs)


WRONG = {
    "q1": [
        ("raw and wide swapped", lambda: _three_paths(order="wide raw deep"), "different order"),
        ("raw path left out", lambda: _three_paths(order="wide deep"), "connected differently"),
        ("deep path one layer short", lambda: _three_paths(deep_layers=1), "3 Dense layers, fewer"),
        ("second deep layer reads the input", lambda: _three_paths(deep_2_reads_input=True), "3 Dense layers, fewer"),
        ("wide path reads the deep path", lambda: _three_paths(wide_reads_deep=True), "connected differently"),
        ("tanh on the wide path", lambda: _three_paths(wide_activation="tanh"), "activation='tanh'"),
        ("one sigmoid output", lambda: _three_paths(head=(1, "sigmoid")), "Output 1 has shape (None, 1)"),
    ],
    "q2": [
        ("pool path counted without channels", (None, 12, 12, 22), "Axis 3"),
        ("grid shrunk by the 5x5 window", (None, 8, 8, 30), "Axis 1"),
        ("flattened to a vector", (None, 30), "2 dimensions"),
        ("batch axis left out", (12, 12, 30), "3 dimensions"),
        ("a number", 30, "should be a shape"),
    ],
    "q3": [
        ("1x1 and 3x3 swapped in Concatenate", lambda: _inception(order=("3x3", "1x1", "5x5", "pool")), "different order"),
        ("no squeeze", lambda: _inception(squeeze=False), "Conv2D layers, fewer"),
        ("pool path without its 1x1", lambda: _inception(pool_conv=False), "Conv2D layers, fewer"),
        ("squeeze feeds the 5x5 too", lambda: _inception(squeeze_feeds_5x5=True), "connected differently"),
        ("average instead of max pooling", lambda: _inception(global_pool=layers.GlobalAveragePooling2D), "no GlobalMaxPooling2D layer"),
        ("pooling with its default strides", lambda: _inception(pool_strides=None), "Concatenate"),
        ("5x5 with 8 filters", lambda: _inception(filters_5x5=8), "kernel_size=(5, 5)"),
    ],
    "q4": [
        ("only the padding fixed", lambda: _fixed(pool_strides=None), "Concatenate"),
        ("only the pooling fixed", lambda: _fixed(padding_3x3="valid"), "Concatenate"),
        ("3x3 window turned into 1x1", lambda: _fixed(kernel_3x3=1), "kernel_size=(1, 1)"),
        ("pooling window turned into 1", lambda: _fixed(pool_size=1, pool_strides=None), "pool_size=(1, 1)"),
        ("zero padding added after a valid 3x3", lambda: _fixed(padding_3x3="valid", zero_pad=True), "ZeroPadding2D"),
        ("pool path removed", lambda: _fixed(pool_path=False), "no MaxPooling2D layer"),
    ],
    "q5": [
        ("the 3x3 path without squeeze", 3 * 3 * 8 * 8 + 8, "too high"),
        ("sign turned round", -252, "too low"),
        ("biases forgotten", 3 * 3 * 8 * 8 - (8 * 4 + 3 * 3 * 4 * 8), "too high"),
        ("a string", "252", "should be a number"),
    ],
}
