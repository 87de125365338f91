"""Wrong answers to ex10_attention: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _attention(first=("query", "key"), scale=0.25, softmax=True, softmax_axis=-1, mixed="value"):
    ends = {
        "query": keras.Input(shape=(4, 16)),
        "key": keras.Input(shape=(6, 16)),
        "value": keras.Input(shape=(6, 5)),
    }
    scores = layers.Dot(axes=2)([ends[name] for name in first])
    if scale is not None:
        scores = layers.Rescaling(scale)(scores)
    weights = layers.Softmax(axis=softmax_axis)(scores) if softmax else scores
    context = layers.Dot(axes=(2, 1))([weights, ends[mixed]])
    return keras.Model([ends["query"], ends["key"], ends["value"]], context)


def _block(first_residual=True, ff_units=16, heads=2, shared_norm=False, ff_activation=None, add_after_norm=False):
    sequence = keras.Input(shape=(10, 16))
    attended = layers.MultiHeadAttention(num_heads=heads, key_dim=8)(sequence, sequence)
    norm_1 = layers.LayerNormalization()
    norm_2 = norm_1 if shared_norm else layers.LayerNormalization()
    if not first_residual:
        x = norm_1(attended)
    elif add_after_norm:
        x = layers.Add()([sequence, norm_1(attended)])
    else:
        x = norm_1(layers.Add()([sequence, attended]))
    hidden = layers.Dense(32, activation="relu")(x)
    hidden = layers.Dense(ff_units, activation=ff_activation)(hidden)
    if add_after_norm:
        return keras.Model(sequence, layers.Add()([x, norm_2(hidden)]))
    return keras.Model(sequence, norm_2(layers.Add()([x, hidden])))


WRONG = {
    "q1": [
        ("query and key swapped in the first Dot", lambda: _attention(first=("key", "query")), "Incompatible input shapes"),
        ("no softmax", lambda: _attention(softmax=False), "no Softmax layer"),
        ("not scaled", lambda: _attention(scale=None), "no Rescaling layer"),
        ("divided by 16 instead of 4", lambda: _attention(scale=1 / 16), "Rescaling"),
        ("softmax over the queries", lambda: _attention(softmax_axis=1), "axis=1"),
        ("keys mixed instead of values", lambda: _attention(mixed="key"), "Output 1 has shape (None, 4, 16)"),
    ],
    "q2": [
        ("query and key axes swapped", (None, 3, 9, 5), "Axis 2"),
        ("heads left out", (None, 5, 9), "3 dimensions"),
        ("key_dim taken for the heads", (None, 8, 5, 9), "Axis 1"),
        ("the attended output instead", (None, 5, 16), "3 dimensions"),
        ("batch axis left out", (3, 5, 9), "3 dimensions"),
    ],
    "q3": [
        ("only the width fixed", lambda: _block(first_residual=False), "1 Add layer, fewer"),
        ("Add after the normalisation", lambda: _block(add_after_norm=True), "connected differently"),
        ("four heads", lambda: _block(heads=4), "num_heads=4"),
        ("one LayerNormalization for both", lambda: _block(shared_norm=True), "calls one LayerNormalization layer 2 times"),
        ("relu on the second Dense", lambda: _block(ff_activation="relu"), "activation='relu'"),
        ("width still 32", lambda: _block(ff_units=32), "incompatible shapes"),
    ],
    "q4": [
        ("the row number", 2, "too low"),
        ("the last input", 7, "too high"),
        ("its neighbour", 6, "too high"),
        ("a word", "five", "should be a number"),
    ],
}
