"""Right answers to ex06_multi_output: the outputs are a dict keyed by head name."""

import keras
from keras import layers


def heads_activation_layers():
    image = keras.Input(shape=(16, 16, 1))
    trunk = layers.ReLU()(layers.Dense(32)(layers.Flatten()(image)))
    shape = layers.Softmax()(layers.Dense(3)(trunk))
    return keras.Model(image, {"shape": shape, "area": layers.Dense(1)(trunk)})


def heads_dict_in_another_order():
    image = keras.Input(shape=(16, 16, 1), name="picture")
    trunk = layers.Dense(32, activation="relu", name="shared")(layers.Flatten()(image))
    return keras.Model(
        inputs=[image],
        outputs={"area": layers.Dense(1, name="a")(trunk), "shape": layers.Dense(3, activation="softmax", name="s")(trunk)},
    )


def heads_nested_trunk():
    trunk = keras.Sequential([keras.Input(shape=(16, 16, 1)), layers.Flatten(), layers.Dense(32, activation="relu")], name="trunk")
    image = keras.Input(shape=(16, 16, 1))
    features = trunk(image)
    shape = layers.Activation("softmax")(layers.Dense(3)(features))
    return keras.Model(image, {"shape": shape, "area": layers.Dense(1, activation="linear")(features)})


def fixed_activation_layers():
    image = keras.Input(shape=(16, 16, 1))
    hidden = layers.ReLU()(layers.Dense(32)(layers.Flatten()(image)))
    features = layers.ReLU()(layers.Dense(4)(hidden))
    return keras.Model(
        image,
        {
            "shape": layers.Softmax()(layers.Dense(3)(features)),
            "area": layers.Dense(1)(features),
            "aux_shape": layers.Activation("softmax")(layers.Dense(3)(hidden)),
        },
    )


def fixed_nested_bottleneck():
    image = keras.Input(shape=(16, 16, 1))
    hidden = layers.Dense(32, activation="relu")(layers.Flatten()(image))
    bottleneck = keras.Sequential([keras.Input(shape=(32,)), layers.Dense(4, activation="relu")])
    features = bottleneck(hidden)
    return keras.Model(
        image,
        {
            "aux_shape": layers.Dense(3, activation="softmax")(hidden),
            "area": layers.Dense(1)(features),
            "shape": layers.Dense(3, activation="softmax")(features),
        },
    )


def fixed_other_names():
    picture = keras.Input(shape=(16, 16, 1), name="pic")
    flat = layers.Flatten(name="flat")(picture)
    wide = layers.Dense(32, activation="relu", name="wide")(flat)
    narrow = layers.Dense(4, activation="relu", name="narrow")(wide)
    heads = {
        "shape": layers.Dense(3, activation="softmax", name="h1")(narrow),
        "area": layers.Dense(1, name="h2")(narrow),
        "aux_shape": layers.Dense(3, activation="softmax", name="h3")(wide),
    }
    return keras.Model(inputs=[picture], outputs=heads)


RIGHT = {
    "q1": [
        ("activations as layers", heads_activation_layers),
        ("dict in another order, other names", heads_dict_in_another_order),
        ("trunk as a nested Sequential", heads_nested_trunk),
    ],
    "q3": [
        ("activations as layers", fixed_activation_layers),
        ("bottleneck as a nested Sequential", fixed_nested_bottleneck),
        ("other names", fixed_other_names),
    ],
}
