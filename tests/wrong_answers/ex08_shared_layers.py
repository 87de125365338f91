"""Wrong answers to ex08_shared_layers: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def _siamese(shared=("hidden", "encoding"), order=("left", "right"), inputs=("left", "right"), hidden_units=12,
             output_activation="sigmoid", encoding_activation=None):
    ends = {"left": keras.Input(shape=(8,)), "right": keras.Input(shape=(8,))}
    once = {
        "hidden": layers.Dense(hidden_units, activation="relu"),
        "encoding": layers.Dense(6, activation=encoding_activation),
    }

    def layer(name):
        if name in shared:
            return once[name]
        return layers.Dense(hidden_units, activation="relu") if name == "hidden" else layers.Dense(6, activation=encoding_activation)

    codes = {side: layer("encoding")(layer("hidden")(ends[side])) for side in ("left", "right")}
    difference = layers.Subtract()([codes[side] for side in order])
    above = layers.Dense(1, activation=output_activation)(difference)
    return keras.Model([ends[side] for side in inputs], above)


def _text(share_table=True, share_pooling=True, normalize=True, order=("first", "second"), pooling=layers.GlobalAveragePooling1D):
    texts = {"first": keras.Input(shape=(8,), dtype="int32"), "second": keras.Input(shape=(8,), dtype="int32")}
    table, average = layers.Embedding(input_dim=10, output_dim=6), pooling()

    def encode(text):
        vectors = (table if share_table else layers.Embedding(input_dim=10, output_dim=6))(text)
        return (average if share_pooling else pooling())(vectors)

    vectors = {name: encode(texts[name]) for name in ("first", "second")}
    cosine = layers.Dot(axes=1, normalize=normalize)([vectors[name] for name in order])
    same_words = layers.Dense(1, activation="sigmoid")(cosine)
    return keras.Model([texts["first"], texts["second"]], same_words)


def _with_encoder(nested=True, two_encoders=False, order=("left", "right"), encoder_units=6):
    def make_encoder():
        record = keras.Input(shape=(8,), name="record")
        hidden = layers.Dense(12, activation="relu")(record)
        return keras.Model(record, layers.Dense(encoder_units, name="encoding")(hidden))

    sides = {"left": keras.Input(shape=(8,)), "right": keras.Input(shape=(8,))}
    if nested:
        first = make_encoder()
        second = make_encoder() if two_encoders else first
        codes = {"left": first(sides["left"]), "right": second(sides["right"])}
    else:
        hidden, encoding = layers.Dense(12, activation="relu"), layers.Dense(encoder_units)
        codes = {side: encoding(hidden(tensor)) for side, tensor in sides.items()}
    difference = layers.Subtract()([codes[side] for side in order])
    return keras.Model([sides["left"], sides["right"]], layers.Dense(1, activation="sigmoid")(difference))


WRONG = {
    "q1": [
        ("two separate encoders", lambda: _siamese(shared=()), "should be created once and called on each of its inputs"),
        ("only the first layer shared", lambda: _siamese(shared=("hidden",)), "Dense(6) layer should be created once"),
        ("right - left", lambda: _siamese(order=("right", "left")), "different order"),
        ("inputs passed as [right, left]", lambda: _siamese(inputs=("right", "left")), "different order"),
        ("16 hidden units", lambda: _siamese(hidden_units=16), "units=16"),
        ("no sigmoid on the output", lambda: _siamese(output_activation=None), "activation='linear'"),
    ],
    "q2": [
        ("the shared model's count", 193, "too low"),
        ("output layer doubled too", 386, "too high"),
        ("biases forgotten", 2 * (8 * 12 + 12 * 6) + 6, "too low"),
        ("the encoder alone", 186, "too low"),
    ],
    "q3": [
        ("left as it was", lambda: _text(share_table=False, share_pooling=False), "Embedding(6) layer should be created once"),
        ("only the pooling shared", lambda: _text(share_table=False), "Embedding(6) layer should be created once"),
        ("plain dot product", lambda: _text(normalize=False), "normalize=False"),
        ("max pooling", lambda: _text(pooling=layers.GlobalMaxPooling1D), "no GlobalAveragePooling1D layer"),
        ("pooling created twice", lambda: _text(share_pooling=False), "GlobalAveragePooling1D layer should be created once"),
    ],
    "q4": [
        ("shared layers, no encoder model", lambda: _with_encoder(nested=False), "does not call another model as a layer"),
        ("two encoder models", lambda: _with_encoder(two_encoders=True), "you created 2 separate ones"),
        ("right - left", lambda: _with_encoder(order=("right", "left")), "different order"),
        ("encoding of 8", lambda: _with_encoder(encoder_units=8), "is built differently inside"),
    ],
}
