"""Right answers to ex12_sequential_vs_functional (q1 asks for the Functional API)."""

import keras
from keras import layers


def translated_activation_layers():
    image = keras.Input(shape=(16, 16, 1))
    x = layers.ReLU()(layers.Conv2D(8, 3)(image))
    x = layers.MaxPooling2D()(x)
    x = layers.Activation("relu")(layers.Conv2D(16, 3)(x))
    x = layers.Dropout(0.3)(layers.Flatten()(x))
    x = layers.ReLU()(layers.Dense(32)(x))
    return keras.Model(image, layers.Softmax()(layers.Dense(3)(x)))


def translated_in_a_loop():
    image = keras.Input(shape=(16, 16, 1))
    x = image
    for layer in (
        layers.Conv2D(8, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dropout(rate=0.3),
        layers.Dense(32, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ):
        x = layer(x)
    return keras.Model(inputs=[image], outputs=[x])


def translated_with_a_nested_stack():
    features = keras.Sequential([keras.Input(shape=(16, 16, 1)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D()])
    image = keras.Input(shape=(16, 16, 1))
    x = layers.Flatten()(layers.Conv2D(16, 3, activation="relu")(features(image)))
    x = layers.Dense(32, activation="relu")(layers.Dropout(0.3)(x))
    return keras.Model(image, layers.Dense(3, activation="softmax")(x))


def branches_functional_concatenate():
    image = keras.Input(shape=(16, 16, 1))
    narrow = layers.Conv2D(4, 1, activation="relu")(image)
    wide = layers.Conv2D(4, 3, padding="same", activation="relu")(image)
    pooled = layers.MaxPooling2D(3, strides=1, padding="same")(image)
    summary = layers.GlobalAveragePooling2D()(layers.concatenate([narrow, wide, pooled]))
    return keras.Model(image, layers.Dense(3, activation="softmax")(summary))


def branches_activation_layers():
    image = keras.Input(shape=(16, 16, 1))
    narrow = layers.ReLU()(layers.Conv2D(4, 1, padding="same")(image))
    wide = layers.Activation("relu")(layers.Conv2D(4, 3, padding="same")(image))
    pooled = layers.MaxPooling2D(pool_size=3, strides=1, padding="same")(image)
    joined = layers.Concatenate()([narrow, wide, pooled])
    return keras.Model(image, layers.Softmax()(layers.Dense(3)(layers.GlobalAveragePooling2D()(joined))))


def branches_nested_head():
    head = keras.Sequential([keras.Input(shape=(16, 16, 9)), layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])
    image = keras.Input(shape=(16, 16, 1))
    joined = layers.Concatenate()(
        [
            layers.Conv2D(4, 1, padding="same", activation="relu")(image),
            layers.Conv2D(4, 3, padding="same", activation="relu")(image),
            layers.MaxPooling2D(3, strides=1, padding="same")(image),
        ]
    )
    return keras.Model([image], [head(joined)])


RIGHT = {
    "q1": [
        ("activations as layers", translated_activation_layers),
        ("layers in a loop, tuple sizes", translated_in_a_loop),
        ("first stage as a nested Sequential", translated_with_a_nested_stack),
    ],
    "q4": [
        ("functional concatenate", branches_functional_concatenate),
        ("activations as layers", branches_activation_layers),
        ("head as a nested Sequential", branches_nested_head),
    ],
}
