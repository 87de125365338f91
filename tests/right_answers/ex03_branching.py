"""Right answers to ex03_branching."""

import keras
from keras import layers


def three_paths_functional_merge():
    features = keras.Input(shape=(10,))
    deep = layers.Dense(16, activation="relu")(layers.Dense(16, activation="relu")(features))
    wide = layers.Dense(32, activation="relu")(features)
    joined = layers.concatenate([features, wide, deep])
    return keras.Model(features, layers.Dense(2, activation="softmax")(joined))


def three_paths_activation_layers():
    features = keras.Input(shape=(10,))
    wide = layers.ReLU()(layers.Dense(32)(features))
    deep = layers.Activation("relu")(layers.Dense(16)(features))
    deep = layers.Activation("relu")(layers.Dense(16)(deep))
    joined = layers.Concatenate(axis=-1)([features, wide, deep])
    return keras.Model(features, layers.Activation("softmax")(layers.Dense(2)(joined)))


def three_paths_nested_deep_path():
    deep_path = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")])
    features = keras.Input(shape=(10,))
    joined = layers.Concatenate()([features, layers.Dense(32, activation="relu")(features), deep_path(features)])
    return keras.Model([features], layers.Dense(2, activation="softmax")(joined))


def inception_functional_merge():
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Conv2D(8, (3, 3), padding="same", activation="relu")(image)
    a = layers.Conv2D(8, 1, activation="relu")(stem)
    b = layers.Conv2D(8, 3, padding="same", activation="relu")(layers.Conv2D(4, 1, activation="relu")(stem))
    c = layers.Conv2D(4, 5, padding="same", activation="relu")(stem)
    d = layers.Conv2D(4, 1, activation="relu")(layers.MaxPooling2D(pool_size=3, strides=1, padding="same")(stem))
    mixed = layers.concatenate([a, b, c, d])
    return keras.Model(image, layers.Dense(3, activation="softmax")(layers.GlobalMaxPooling2D()(mixed)))


def inception_activation_layers():
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.ReLU()(layers.Conv2D(8, 3, padding="same")(image))
    a = layers.ReLU()(layers.Conv2D(8, 1)(stem))
    squeezed = layers.Activation("relu")(layers.Conv2D(4, 1)(stem))
    b = layers.Activation("relu")(layers.Conv2D(8, 3, padding="same")(squeezed))
    c = layers.ReLU()(layers.Conv2D(4, 5, padding="same")(stem))
    d = layers.ReLU()(layers.Conv2D(4, 1)(layers.MaxPooling2D(3, strides=1, padding="same")(stem)))
    pooled = layers.GlobalMaxPooling2D()(layers.Concatenate()([a, b, c, d]))
    return keras.Model(image, layers.Softmax()(layers.Dense(3)(pooled)))


def inception_nested_module():
    inside = keras.Input(shape=(16, 16, 8))
    a = layers.Conv2D(8, 1, activation="relu")(inside)
    b = layers.Conv2D(8, 3, padding="same", activation="relu")(layers.Conv2D(4, 1, activation="relu")(inside))
    c = layers.Conv2D(4, 5, padding="same", activation="relu")(inside)
    d = layers.Conv2D(4, 1, activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(inside))
    module = keras.Model(inside, layers.Concatenate()([a, b, c, d]), name="module")
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    return keras.Model(image, layers.Dense(3, activation="softmax")(layers.GlobalMaxPooling2D()(module(stem))))


def fixed_functional_merge():
    image = keras.Input(shape=(12, 12, 3))
    a = layers.Conv2D(8, 1, activation="relu")(image)
    b = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    c = layers.Conv2D(4, 1, activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(image))
    features = layers.GlobalAveragePooling2D()(layers.concatenate([a, b, c]))
    return keras.Model(image, layers.Dense(5, activation="softmax")(features))


def fixed_activation_layers():
    image = keras.Input(shape=(12, 12, 3))
    a = layers.ReLU()(layers.Conv2D(8, 1)(image))
    b = layers.ReLU()(layers.Conv2D(8, 3, padding="same")(image))
    c = layers.ReLU()(layers.Conv2D(4, 1)(layers.MaxPooling2D(3, strides=1, padding="same")(image)))
    features = layers.GlobalAveragePooling2D()(layers.Concatenate()([a, b, c]))
    return keras.Model(image, layers.Activation("softmax")(layers.Dense(5)(features)))


def fixed_lists_and_names():
    image = keras.Input(shape=(12, 12, 3), name="picture")
    pool = layers.MaxPooling2D(3, 1, "same", name="pool")(image)
    joined = layers.Concatenate(name="all_paths")(
        [
            layers.Conv2D(8, 1, activation="relu", name="p1")(image),
            layers.Conv2D(8, 3, padding="same", activation="relu", name="p3")(image),
            layers.Conv2D(4, 1, activation="relu", name="pp")(pool),
        ]
    )
    scores = layers.Dense(5, activation="softmax", name="scores")(layers.GlobalAveragePooling2D(name="avg")(joined))
    return keras.Model(inputs=[image], outputs=[scores])


RIGHT = {
    "q1": [
        ("functional concatenate, other order of definition", three_paths_functional_merge),
        ("activations as layers", three_paths_activation_layers),
        ("deep path as a nested Sequential", three_paths_nested_deep_path),
    ],
    "q3": [
        ("functional concatenate", inception_functional_merge),
        ("activations as layers", inception_activation_layers),
        ("module as a nested model", inception_nested_module),
    ],
    "q4": [
        ("functional concatenate", fixed_functional_merge),
        ("activations as layers", fixed_activation_layers),
        ("lists and names", fixed_lists_and_names),
    ],
}
