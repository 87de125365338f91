"""Right answers to ex07_skip_connections."""

import keras
from keras import layers


def residual_relu_layer():
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    branch = layers.Conv2D(16, 3, padding="same")(layers.Conv2D(16, 3, padding="same", activation="relu")(stem))
    block = layers.ReLU()(layers.add([branch, layers.Conv2D(16, 1)(stem)]))
    return keras.Model(image, layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(block)))


def residual_activation_layers_everywhere():
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Activation("relu")(layers.Conv2D(8, 3, padding="same")(image))
    branch = layers.ReLU()(layers.Conv2D(16, 3, padding="same")(stem))
    branch = layers.Conv2D(16, 3, padding="same")(branch)
    added = layers.Add()([layers.Conv2D(16, 1, activation="linear")(stem), branch])
    block = layers.Activation("relu")(added)
    return keras.Model(image, layers.Softmax()(layers.Dense(3)(layers.GlobalAveragePooling2D()(block))))


def residual_nested_branch():
    inside = keras.Input(shape=(16, 16, 8))
    branch = layers.Conv2D(16, 3, padding="same")(layers.Conv2D(16, 3, padding="same", activation="relu")(inside))
    branch_model = keras.Model(inside, branch, name="branch")
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    block = layers.Activation("relu")(layers.Add()([layers.Conv2D(16, 1)(stem), branch_model(stem)]))
    return keras.Model([image], [layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(block))])


def _unet(conv, concat=layers.Concatenate):
    image = keras.Input(shape=(16, 16, 1))
    down_1 = conv(6)(image)
    down_2 = conv(12)(layers.MaxPooling2D()(down_1))
    bottom = conv(24)(layers.MaxPooling2D()(down_2))
    up_2 = conv(12)(concat()([layers.UpSampling2D()(bottom), down_2]))
    up_1 = conv(6)(concat()([layers.UpSampling2D()(up_2), down_1]))
    return keras.Model(image, layers.Conv2D(1, 1, activation="sigmoid")(up_1))


def unet_activation_layers():
    def conv(filters):
        return lambda x: layers.ReLU()(layers.Conv2D(filters, 3, padding="same")(x))

    return _unet(conv)


def unet_helper_and_tuple_sizes():
    def conv(filters):
        return layers.Conv2D(filters, (3, 3), padding="same", activation="relu")

    return _unet(conv)


def unet_functional_concatenate():
    image = keras.Input(shape=(16, 16, 1), name="img")
    d1 = layers.Conv2D(6, 3, padding="same", activation="relu")(image)
    d2 = layers.Conv2D(12, 3, padding="same", activation="relu")(layers.MaxPooling2D(pool_size=2)(d1))
    b = layers.Conv2D(24, 3, padding="same", activation="relu")(layers.MaxPooling2D(pool_size=2)(d2))
    u2 = layers.Conv2D(12, 3, padding="same", activation="relu")(layers.concatenate([layers.UpSampling2D(size=2)(b), d2]))
    u1 = layers.Conv2D(6, 3, padding="same", activation="relu")(layers.concatenate([layers.UpSampling2D(size=2)(u2), d1]))
    mask = layers.Activation("sigmoid")(layers.Conv2D(1, 1)(u1))
    return keras.Model(image, mask)


RIGHT = {
    "q1": [
        ("ReLU layer after a functional add", residual_relu_layer),
        ("activations as layers everywhere", residual_activation_layers_everywhere),
        ("branch as a nested model, one-element lists", residual_nested_branch),
    ],
    "q3": [
        ("activations as layers", unet_activation_layers),
        ("a helper and tuple kernel sizes", unet_helper_and_tuple_sizes),
        ("functional concatenate, sigmoid as a layer", unet_functional_concatenate),
    ],
}
