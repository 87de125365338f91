"""Right answers to ex11_custom_graphs (q1 asks for three member models; q2 reuses `base`)."""

import keras
from keras import layers


def _member_sequential(width):
    return keras.Sequential([keras.Input(shape=(8,)), layers.Dense(width, activation="relu"), layers.Dense(3, activation="softmax")])


def ensemble_sequential_members():
    readings = keras.Input(shape=(8,))
    return keras.Model(readings, layers.Average()([_member_sequential(w)(readings) for w in (4, 8, 12)]))


def ensemble_activation_layers():
    readings = keras.Input(shape=(8,))
    votes = []
    for width in (4, 8, 12):
        inside = keras.Input(shape=(8,))
        probs = layers.Softmax()(layers.Dense(3)(layers.ReLU()(layers.Dense(width)(inside))))
        votes.append(keras.Model(inside, probs)(readings))
    return keras.Model(readings, layers.average(votes))


def ensemble_lists():
    members = [_member_sequential(4), _member_sequential(8), _member_sequential(12)]
    readings = keras.Input(shape=(8,), name="x")
    return keras.Model(inputs=[readings], outputs=[layers.Average(name="mean")([m(readings) for m in members])])


def graft_activation_layer(base):
    head = layers.Activation("sigmoid")(layers.Dense(1)(base.get_layer("hidden_1").output))
    return keras.Model(base.inputs, [base.outputs[0], head])


def graft_by_index(base):
    return keras.Model(base.input, [base.output, layers.Dense(1, activation="sigmoid")(base.layers[1].output)])


def graft_on_a_new_input(base):
    readings = keras.Input(shape=(8,))
    hidden_1 = base.get_layer("hidden_1")(readings)
    classes = base.get_layer("classes")(base.get_layer("hidden_2")(hidden_1))
    return keras.Model([readings], [classes, layers.Dense(1, activation="sigmoid")(hidden_1)])


RIGHT = {
    "q1": [
        ("members are Sequentials", ensemble_sequential_members),
        ("activations as layers inside the members, functional average", ensemble_activation_layers),
        ("one-element lists", ensemble_lists),
    ],
    "q2": [
        ("sigmoid as a layer", graft_activation_layer),
        ("layers by index", graft_by_index),
        ("base's layers called on a new input", graft_on_a_new_input),
    ],
}
