"""Wrong answers to ex04_merging: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _skip(merge="add", projection=16, projection_activation=None, projection_reads="input", skip=True):
    features = keras.Input(shape=(6,))
    hidden_1 = layers.Dense(16, activation="relu")(features)
    hidden = layers.Dense(16, activation="relu")(hidden_1)
    if not skip:
        summed = hidden
    else:
        source = {"input": features, "hidden_1": hidden_1}[projection_reads]
        projected = layers.Dense(projection, activation=projection_activation)(source)
        merge_layer = layers.Add() if merge == "add" else layers.Concatenate()
        summed = merge_layer([projected, hidden])
    score = layers.Dense(1, activation="sigmoid")(summed)
    return keras.Model(features, score)


def _comparison(subtract_order=("left", "right"), join_order=("difference", "product", "cosine"),
                normalize=True, product=layers.Multiply, inputs_order=("left", "right")):
    ends = {"left": keras.Input(shape=(8,)), "right": keras.Input(shape=(8,))}
    parts = {
        "difference": layers.Subtract()([ends[name] for name in subtract_order]),
        "product": product()([ends["left"], ends["right"]]),
        "cosine": layers.Dot(axes=1, normalize=normalize)([ends["left"], ends["right"]]),
    }
    joined = layers.Concatenate()([parts[name] for name in join_order])
    hidden = layers.Dense(16, activation="relu")(joined)
    same = layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model([ends[name] for name in inputs_order], same)


WRONG = {
    "q1": [
        ("the two kept axes swapped", (None, 6, 8), "Axis 1"),
        ("one score per sample", (None, 1), "2 dimensions"),
        ("nothing summed away", (None, 5, 8, 6), "4 dimensions"),
        ("written as text", "(None, 8, 6)", "should be a shape"),
    ],
    "q2": [
        ("features joined instead of steps", (None, 4, 12), "Axis 1"),
        ("both axes grown", (None, 7, 12), "Axis 2"),
        ("the offset counted as a step", (None, 8, 6), "Axis 1"),
        ("batch axis left out", (7, 6), "2 dimensions"),
    ],
    "q3": [
        ("Concatenate instead of Add", lambda: _skip(merge="concatenate"), "no Add layer"),
        ("projection with relu", lambda: _skip(projection_activation="relu"), "activation='relu'"),
        ("skip connection dropped", lambda: _skip(skip=False), "no Add layer"),
        ("projection reads the first hidden layer", lambda: _skip(projection_reads="hidden_1"), "connected differently"),
        ("projection of the wrong width", lambda: _skip(projection=8), "incompatible shapes"),
    ],
    "q4": [
        ("right - left", lambda: _comparison(subtract_order=("right", "left")), "different order"),
        ("cosine joined first", lambda: _comparison(join_order=("cosine", "difference", "product")), "different order"),
        ("plain dot product", lambda: _comparison(normalize=False), "normalize=False"),
        ("Add instead of Multiply", lambda: _comparison(product=layers.Add), "no Multiply layer"),
        ("inputs passed as [right, left]", lambda: _comparison(inputs_order=("right", "left")), "different order"),
    ],
    "q5": [
        ("the best one", "squared_difference", "not the answer"),
        ("the middle one", "concatenate", "not the answer"),
        ("not one of the choices", "subtract", "not the answer"),
    ],
}
