"""Wrong answers to ex11_custom_graphs: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def make_member(width):
    readings = keras.Input(shape=(8,), name=f"in_{width}")
    hidden = layers.Dense(width, activation="relu", name=f"hidden_{width}")(readings)
    probs = layers.Dense(3, activation="softmax", name=f"probs_{width}")(hidden)
    return keras.Model(readings, probs, name=f"member_{width}")


def _ensemble(widths=(4, 8, 12), merge=layers.Average, reuse_last=False):
    readings = keras.Input(shape=(8,))
    members = [make_member(width) for width in widths]
    if reuse_last:
        members = [members[-1]] * 3
    return keras.Model(readings, merge()([member(readings) for member in members]))


def flat_ensemble():
    """The members' layers written out again in one graph: no nested models."""
    readings = keras.Input(shape=(8,))
    votes = [layers.Dense(3, activation="softmax")(layers.Dense(w, activation="relu")(readings)) for w in (4, 8, 12)]
    return keras.Model(readings, layers.Average()(votes))


def _base():
    """The same design as the notebook's `base`, from new layers (the check wants base's own)."""
    readings = keras.Input(shape=(8,))
    hidden_1 = layers.Dense(32, activation="relu", name="hidden_1")(readings)
    hidden_2 = layers.Dense(16, activation="relu", name="hidden_2")(hidden_1)
    classes = layers.Dense(3, activation="softmax", name="classes")(hidden_2)
    return keras.Model(readings, classes)


def _graft(tap="hidden_1", activation="sigmoid", units=1, outputs="both"):
    base = _base()
    new_head = layers.Dense(units, activation=activation)(base.get_layer(tap).output)
    chosen = {"both": [base.output, new_head], "new only": new_head, "new first": [new_head, base.output]}[outputs]
    return keras.Model(base.input, chosen)


WRONG = {
    "q1": [
        ("Add instead of Average", lambda: _ensemble(merge=layers.Add), "no Average layer"),
        ("Concatenate instead of Average", lambda: _ensemble(merge=layers.Concatenate), "Output 1 has shape (None, 9)"),
        ("one member called three times", lambda: _ensemble(reuse_last=True), "calls one Functional layer 3 times"),
        ("only two members", lambda: _ensemble(widths=(4, 8)), "2 Functional layers, fewer"),
        ("a member of the wrong width", lambda: _ensemble(widths=(4, 8, 16)), "built differently inside"),
        ("layers copied instead of nested", flat_ensemble, "does not call another model as a layer"),
    ],
    "q2": [
        ("grafted onto hidden_2", lambda: _graft(tap="hidden_2"), "connected differently"),
        ("grafted onto the old head", lambda: _graft(tap="classes"), "connected differently"),
        ("softmax head", lambda: _graft(activation="softmax"), "activation='softmax'"),
        ("the new head only", lambda: _graft(outputs="new only"), "1 output"),
        ("heads in the other order", lambda: _graft(outputs="new first"), "in a different order"),
        ("two units", lambda: _graft(units=2), "Output 2 has shape (None, 2)"),
        ("grafted onto a new copy of base", _graft, "build it from base's own layers"),
    ],
    "q3": [
        ("the logits forgotten", 297, "too low"),
        ("biases forgotten", 8 * 4 + 4 * 3 + 8 * 8 + 8 * 3 + 8 * 12 + 12 * 3 + 3, "too low"),
        ("counted twice, before and after saving", 600, "too high"),
        ("written as text", "300", "should be a number"),
    ],
    "q4": [
        ("per-element choice", "A", "not the answer"),
        ("nested with a custom layer", "C", "not the answer"),
        ("grafted head", "D", "not the answer"),
        ("a description instead of the letter", "early exit", "should be one of"),
    ],
}
