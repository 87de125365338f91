"""Wrong answers to ex09_encoder_decoder: each must be judged incorrect, with the reason named here."""

import keras
from keras import layers


def build_encoder():
    image = keras.Input(shape=(16, 16, 1), name="image")
    pixels = layers.Flatten(name="flatten")(image)
    hidden = layers.Dense(64, activation="relu", name="squeeze")(pixels)
    code = layers.Dense(8, name="code")(hidden)
    return keras.Model(image, code, name="encoder")


def build_decoder():
    code = keras.Input(shape=(8,), name="code_in")
    hidden = layers.Dense(64, activation="relu", name="unsqueeze")(code)
    pixels = layers.Dense(16 * 16, activation="sigmoid", name="pixels")(hidden)
    picture = layers.Reshape((16, 16, 1), name="to_image")(pixels)
    return keras.Model(code, picture, name="decoder")


def _autoencoder(noise="input", stddev=0.1, halves=("encoder", "decoder")):
    parts = {"encoder": build_encoder(), "decoder": build_decoder()}
    picture = keras.Input(shape=(16, 16, 1))
    x = picture
    if noise == "input":
        x = layers.GaussianNoise(stddev)(x)
    x = parts[halves[0]](x)
    if noise == "code":
        x = layers.GaussianNoise(stddev)(x)
    for half in halves[1:]:
        x = parts[half](x)
    return keras.Model(picture, x)


def flat_copy():
    """The halves' layers written out again in one model: no nested models."""
    picture = keras.Input(shape=(16, 16, 1))
    x = layers.GaussianNoise(0.1)(picture)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(8)(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(256, activation="sigmoid")(x)
    return keras.Model(picture, layers.Reshape((16, 16, 1))(x))


def _seq2seq(states="h, c", shared_embedding=False, return_sequences=True, inputs_order=("source", "target_so_far")):
    ends = {"source": keras.Input(shape=(6,), dtype="int64"), "target_so_far": keras.Input(shape=(6,), dtype="int64")}
    source, target_so_far = ends["source"], ends["target_so_far"]
    source_embedding = layers.Embedding(10, 16)
    target_embedding = source_embedding if shared_embedding else layers.Embedding(10, 16)
    last, state_h, state_c = layers.LSTM(32, return_state=True)(source_embedding(source))
    initial = {"h, c": [state_h, state_c], "c, h": [state_c, state_h], "h only": [state_h], "none": None}[states]
    decoded = layers.LSTM(32, return_sequences=return_sequences)(target_embedding(target_so_far), initial_state=initial)
    next_token = layers.Dense(10, activation="softmax")(decoded)
    return keras.Model([ends[name] for name in inputs_order], next_token)


WRONG = {
    "q1": [
        ("no noise layer", lambda: _autoencoder(noise=None), "no GaussianNoise layer"),
        ("noise added to the code", lambda: _autoencoder(noise="code"), "connected differently"),
        ("too much noise", lambda: _autoencoder(stddev=0.5), "GaussianNoise"),
        ("decoder first", lambda: _autoencoder(halves=("decoder", "encoder")), "incompatible with the layer"),
        ("encoder only", lambda: _autoencoder(halves=("encoder",)), "Output 1 has shape (None, 8)"),
        ("layers copied instead of nested", flat_copy, "does not call another model as a layer"),
    ],
    "q2": [
        ("pooling forgotten", (None, 24, 24, 3), "Axis 1"),
        ("channels of the previous layer", (None, 6, 6, 8), "Axis 3"),
        ("pooled three times", (None, 3, 3, 3), "Axis 1"),
        ("batch axis left out", (6, 6, 3), "3 dimensions"),
        ("flattened", (None, 108), "2 dimensions"),
    ],
    "q3": [
        ("still no hand-over", lambda: _seq2seq(states="none"), "not connected to an output does not count"),
        ("states in the order c, h", lambda: _seq2seq(states="c, h"), "different order"),
        ("only h handed over", lambda: _seq2seq(states="h only"), "check what feeds"),
        ("one embedding for both inputs", lambda: _seq2seq(shared_embedding=True), "calls one Embedding layer 2 times"),
        ("inputs passed as [target_so_far, source]", lambda: _seq2seq(inputs_order=("target_so_far", "source")), "connected differently"),
        ("decoder returns only its last step", lambda: _seq2seq(return_sequences=False), "Output 1 has shape (None, 10)"),
    ],
    "q4": [
        ("the plain model", "without skips", "not the answer"),
        ("a made-up choice", "U-Net", "should be one of"),
        ("a score instead of a name", 0.914, "should be one of"),
    ],
}
