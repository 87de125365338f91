"""Wrong answers to ex05_multi_input: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _two_inputs(pool=layers.GlobalAveragePooling2D, order=("image", "meta"), head=True, as_list=None,
                output=(1, "sigmoid"), use_meta=True):
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(image)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    vectors = {"image": pool()(x)}
    if use_meta:
        vectors["meta"] = layers.Dense(8, activation="relu")(meta)
        fused = layers.Concatenate()([vectors[name] for name in order])
    else:
        fused = vectors["image"]
    if head:
        fused = layers.Dense(16, activation="relu")(fused)
    label = layers.Dense(output[0], activation=output[1])(fused)
    if not use_meta:
        return keras.Model(image, label)
    if as_list:
        return keras.Model([{"image": image, "meta": meta}[name] for name in as_list], label)
    return keras.Model(inputs={"image": image, "meta": meta}, outputs=label)


def _fixed(order=("image", "meta"), meta_activation="relu", pool=layers.GlobalMaxPooling2D, use_meta=True):
    image = keras.Input(shape=(16, 16, 1), name="image")
    meta = keras.Input(shape=(3,), name="meta")
    image_vector = pool()(layers.Conv2D(8, 3, padding="same", activation="relu")(image))
    if not use_meta:
        return keras.Model(image, layers.Dense(1, activation="sigmoid")(image_vector))
    vectors = {"image": image_vector, "meta": layers.Dense(8, activation=meta_activation)(meta)}
    fused = layers.Concatenate()([vectors[name] for name in order])
    label = layers.Dense(1, activation="sigmoid")(fused)
    return keras.Model(inputs={"image": image, "meta": meta}, outputs=label)


WRONG = {
    "q1": [
        ("inputs listed as [meta, image]", lambda: _two_inputs(as_list=("meta", "image")), "in a different order"),
        ("paths joined as metadata, picture", lambda: _two_inputs(order=("meta", "image")), "different order"),
        ("max instead of average pooling", lambda: _two_inputs(pool=layers.GlobalMaxPooling2D), "no GlobalAveragePooling2D layer"),
        ("head layer left out", lambda: _two_inputs(head=False), "2 Dense layers, fewer"),
        ("metadata input never used", lambda: _two_inputs(use_meta=False), "1 input"),
        ("two softmax outputs", lambda: _two_inputs(output=(2, "softmax")), "Output 1 has shape (None, 2)"),
    ],
    "q2": [
        ("strides forgotten", (None, 16 * 16 * 4 + 8), "Axis 1"),
        ("channels added, not flattened", (None, 4 + 8), "Axis 1"),
        ("the feature map", (None, 8, 8, 12), "4 dimensions"),
        ("batch axis left out", (264,), "1 dimensions"),
    ],
    "q3": [
        ("paths joined as metadata, picture", lambda: _fixed(order=("meta", "image")), "different order"),
        ("relu dropped on the metadata", lambda: _fixed(meta_activation=None), "activation='linear'"),
        ("average pooling instead of max", lambda: _fixed(pool=layers.GlobalAveragePooling2D), "no GlobalMaxPooling2D layer"),
        ("metadata input removed", lambda: _fixed(use_meta=False), "1 input"),
    ],
    "q4": [
        ("the other input", "image", "not the answer"),
        ("both", "both", "not the answer"),
        ("a number", 0.34, "not the answer"),
    ],
}
