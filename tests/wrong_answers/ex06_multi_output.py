"""Wrong answers to ex06_multi_output: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _two_heads(as_list=False, area_reads="trunk", area_activation=None, shape_units=3, trunk=True, heads=("shape", "area")):
    image = keras.Input(shape=(16, 16, 1))
    pixels = layers.Flatten()(image)
    features = layers.Dense(32, activation="relu")(pixels) if trunk else pixels
    shape_scores = layers.Dense(shape_units, activation="softmax", name="shape")(features)
    area_input = {"trunk": features, "shape": shape_scores}[area_reads]
    area_estimate = layers.Dense(1, activation=area_activation, name="area")(area_input)
    if heads == ("shape",):
        return keras.Model(image, shape_scores)
    if as_list:
        return keras.Model(image, [shape_scores, area_estimate])
    return keras.Model(image, {"shape": shape_scores, "area": area_estimate})


def _three_heads(area_reads="bottleneck", aux_reads="hidden", with_aux=True):
    image = keras.Input(shape=(16, 16, 1))
    hidden = layers.Dense(32, activation="relu")(layers.Flatten()(image))
    features = layers.Dense(4, activation="relu")(hidden)
    shape_scores = layers.Dense(3, activation="softmax", name="shape")(features)
    reads = {"bottleneck": features, "hidden": hidden}
    area_input = shape_scores if area_reads == "shape" else reads[area_reads]
    outputs = {"shape": shape_scores, "area": layers.Dense(1, name="area")(area_input)}
    if with_aux:
        outputs["aux_shape"] = layers.Dense(3, activation="softmax", name="aux_shape")(reads[aux_reads])
    return keras.Model(image, outputs)


WRONG = {
    "q1": [
        ("one head only", lambda: _two_heads(heads=("shape",)), "1 output"),
        ("area head reads the shape head", lambda: _two_heads(area_reads="shape"), "connected differently"),
        ("sigmoid on the area head", lambda: _two_heads(area_activation="sigmoid"), "activation='sigmoid'"),
        ("four classes", lambda: _two_heads(shape_units=4), "Output 2 has shape (None, 4)"),
        ("trunk layer left out", lambda: _two_heads(trunk=False), "2 Dense layers, fewer"),
        ("outputs as a list in the order shape, area", lambda: _two_heads(as_list=True), "Your outputs are given as a list"),
    ],
    "q2": [
        ("the weighted total forgotten", 3, "too low"),
        ("losses and metrics counted", 7, "too high"),
        ("only the total", 1, "too low"),
        ("written as text", "4", "should be a number"),
    ],
    "q3": [
        ("left as it was", lambda: _three_heads(area_reads="shape"), "check what feeds 'area'"),
        ("area head moved to hidden", lambda: _three_heads(area_reads="hidden"), "check what feeds 'area'"),
        ("auxiliary head moved to bottleneck", lambda: _three_heads(aux_reads="bottleneck"), "connected differently"),
        ("auxiliary head removed", lambda: _three_heads(with_aux=False), "2 outputs"),
    ],
    "q4": [
        ("the head that gained", "area", "not the answer"),
        ("both", "both", "not the answer"),
        ("a weight", 0.8, "not the answer"),
    ],
}
