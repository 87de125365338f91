"""Wrong answers to ex07_skip_connections: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _residual(projection=(16, 1), projection_activation=None, merge="add", final_relu=True,
              projection_reads="stem", second_activation=None, skip=True):
    image = keras.Input(shape=(16, 16, 1))
    stem = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    branch = layers.Conv2D(16, 3, padding="same", activation="relu")(stem)
    branch = layers.Conv2D(16, 3, padding="same", activation=second_activation)(branch)
    if skip:
        source = {"stem": stem, "image": image}[projection_reads]
        padding = "same" if projection and projection[1] > 1 else "valid"
        shortcut = source if projection is None else layers.Conv2D(projection[0], projection[1], padding=padding,
                                                                   activation=projection_activation)(source)
        merged = (layers.Add() if merge == "add" else layers.Concatenate())([shortcut, branch])
    else:
        merged = branch
    if final_relu:
        merged = layers.Activation("relu")(merged)
    pooled = layers.GlobalAveragePooling2D()(merged)
    return keras.Model(image, layers.Dense(3, activation="softmax")(pooled))


def _unet(skip_1="concatenate", order=("upsampled", "encoder"), skip_1_source="down_1"):
    image = keras.Input(shape=(16, 16, 1))
    down_1 = layers.Conv2D(6, 3, padding="same", activation="relu")(image)
    down_2 = layers.Conv2D(12, 3, padding="same", activation="relu")(layers.MaxPooling2D()(down_1))
    bottom = layers.Conv2D(24, 3, padding="same", activation="relu")(layers.MaxPooling2D()(down_2))
    up_2 = layers.Concatenate()([layers.UpSampling2D()(bottom), down_2])
    up_2 = layers.Conv2D(12, 3, padding="same", activation="relu")(up_2)
    up_1 = layers.UpSampling2D()(up_2)
    if skip_1 is not None:
        parts = {"upsampled": up_1, "encoder": {"down_1": down_1, "image": image}[skip_1_source]}
        merge = layers.Concatenate() if skip_1 == "concatenate" else layers.Add()
        up_1 = merge([parts[name] for name in order])
    up_1 = layers.Conv2D(6, 3, padding="same", activation="relu")(up_1)
    return keras.Model(image, layers.Conv2D(1, 1, activation="sigmoid")(up_1))


WRONG = {
    "q1": [
        ("no projection on the skip", lambda: _residual(projection=None), "incompatible shapes"),
        ("3×3 projection", lambda: _residual(projection=(16, 3)), "kernel_size=(3, 3)"),
        ("Concatenate instead of Add", lambda: _residual(merge="concatenate"), "no Add layer"),
        ("no relu after Add", lambda: _residual(final_relu=False), "no Activation layer"),
        ("relu on the projection", lambda: _residual(projection_activation="relu"), "activation='relu'"),
        ("projection reads the picture", lambda: _residual(projection_reads="image"), "check what feeds"),
        ("skip dropped", lambda: _residual(skip=False), "no Add layer"),
    ],
    "q2": [
        ("before the pooling", (None, 16, 16, 34), "Axis 1"),
        ("block input forgotten", (None, 8, 8, 24), "Axis 3"),
        ("only the last convolution", (None, 8, 8, 6), "Axis 3"),
        ("batch axis left out", (8, 8, 34), "3 dimensions"),
        ("channels flattened", 8 * 8 * 34, "should be a shape"),
    ],
    "q3": [
        ("left as it was", lambda: _unet(skip_1=None), "1 Concatenate layer, fewer"),
        ("joined in the other order", lambda: _unet(order=("encoder", "upsampled")), "different order"),
        ("Add instead of Concatenate", lambda: _unet(skip_1="add"), "incompatible shapes"),
        ("skip from the picture", lambda: _unet(skip_1_source="image"), "connected differently"),
    ],
    "q4": [
        ("counted the stack with skips", 0, "too low"),
        ("one too many", 6, "too high"),
        ("every layer", 14, "too high"),
        ("a word", "five", "should be a number"),
    ],
}
