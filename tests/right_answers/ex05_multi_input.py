"""Right answers to ex05_multi_input: the inputs are a dict keyed "image" and "meta"."""

import keras
from keras import layers


def two_inputs_activation_layers():
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    x = layers.ReLU()(layers.Conv2D(8, 3, padding="same")(image))
    x = layers.MaxPooling2D(2)(x)
    x = layers.Activation("relu")(layers.Conv2D(16, 3, padding="same")(x))
    fused = layers.concatenate([layers.GlobalAveragePooling2D()(x), layers.ReLU()(layers.Dense(8)(meta))])
    hidden = layers.Dense(16, activation="relu")(fused)
    return keras.Model({"image": image, "meta": meta}, layers.Activation("sigmoid")(layers.Dense(1)(hidden)))


def two_inputs_nested_image_tower():
    tower = keras.Sequential(
        [
            keras.Input(shape=(16, 16, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
        ],
        name="tower",
    )
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    fused = layers.Concatenate()([tower(image), layers.Dense(8, activation="relu")(meta)])
    label = layers.Dense(1, activation="sigmoid")(layers.Dense(16, activation="relu")(fused))
    return keras.Model(inputs={"meta": meta, "image": image}, outputs=label)


def two_inputs_other_names():
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    meta_vector = layers.Dense(8, activation="relu", name="m")(meta)
    x = layers.Conv2D(8, (3, 3), padding="same", activation="relu", name="c1")(image)
    x = layers.Conv2D(16, (3, 3), padding="same", activation="relu", name="c2")(layers.MaxPooling2D(pool_size=(2, 2), name="p")(x))
    fused = layers.Concatenate(name="both")([layers.GlobalAveragePooling2D(name="g")(x), meta_vector])
    label = layers.Dense(1, activation="sigmoid", name="y")(layers.Dense(16, activation="relu", name="h")(fused))
    return keras.Model(inputs={"image": image, "meta": meta}, outputs=[label])


def fixed_functional_merge():
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    image_vector = layers.GlobalMaxPooling2D()(layers.Conv2D(8, 3, padding="same", activation="relu")(image))
    fused = layers.concatenate([image_vector, layers.Dense(8, activation="relu")(meta)])
    return keras.Model({"image": image, "meta": meta}, layers.Dense(1, activation="sigmoid")(fused))


def fixed_activation_layers():
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    image_vector = layers.GlobalMaxPooling2D()(layers.ReLU()(layers.Conv2D(8, 3, padding="same")(image)))
    meta_vector = layers.Activation("relu")(layers.Dense(8)(meta))
    fused = layers.Concatenate()([image_vector, meta_vector])
    return keras.Model({"image": image, "meta": meta}, layers.Activation("sigmoid")(layers.Dense(1)(fused)))


def fixed_nested_meta_path():
    meta_path = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(8, activation="relu")])
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    image_vector = layers.GlobalMaxPooling2D()(layers.Conv2D(8, 3, padding="same", activation="relu")(image))
    fused = layers.Concatenate()([image_vector, meta_path(meta)])
    return keras.Model(inputs={"image": image, "meta": meta}, outputs=[layers.Dense(1, activation="sigmoid")(fused)])


RIGHT = {
    "q1": [
        ("activations as layers", two_inputs_activation_layers),
        ("image tower as a nested Sequential, dict in another order", two_inputs_nested_image_tower),
        ("other names, tuple sizes", two_inputs_other_names),
    ],
    "q3": [
        ("functional concatenate", fixed_functional_merge),
        ("activations as layers", fixed_activation_layers),
        ("metadata path as a nested Sequential", fixed_nested_meta_path),
    ],
}
