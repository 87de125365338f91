"""Right answers to ex09_encoder_decoder (q1 asks for an encoder model and a decoder model)."""

import keras
from keras import layers


def _decoder():
    code = keras.Input(shape=(8,))
    pixels = layers.Dense(256, activation="sigmoid")(layers.Dense(64, activation="relu")(code))
    return keras.Model(code, layers.Reshape((16, 16, 1))(pixels))


def autoencoder_sequential_parts():
    encoder = keras.Sequential([keras.Input(shape=(16, 16, 1)), layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(8)])
    decoder = keras.Sequential(
        [keras.Input(shape=(8,)), layers.Dense(64, activation="relu"), layers.Dense(256, activation="sigmoid"), layers.Reshape((16, 16, 1))]
    )
    picture = keras.Input(shape=(16, 16, 1))
    return keras.Model(picture, decoder(encoder(layers.GaussianNoise(0.1)(picture))))


def autoencoder_activation_layers():
    image = keras.Input(shape=(16, 16, 1))
    hidden = layers.ReLU()(layers.Dense(64)(layers.Flatten()(image)))
    encoder = keras.Model(image, layers.Dense(8)(hidden))
    code = keras.Input(shape=(8,))
    pixels = layers.Activation("sigmoid")(layers.Dense(256)(layers.Activation("relu")(layers.Dense(64)(code))))
    decoder = keras.Model(code, layers.Reshape((16, 16, 1))(pixels))
    picture = keras.Input(shape=(16, 16, 1))
    return keras.Model(picture, decoder(encoder(layers.GaussianNoise(stddev=0.1)(picture))))


def autoencoder_lists():
    image = keras.Input(shape=(16, 16, 1))
    encoder = keras.Model([image], [layers.Dense(8)(layers.Dense(64, activation="relu")(layers.Flatten()(image)))])
    decoder = _decoder()
    picture = keras.Input(shape=(16, 16, 1))
    noisy = layers.GaussianNoise(0.1)(picture)
    return keras.Model(inputs=[picture], outputs=[decoder(encoder(noisy))])


def seq2seq_softmax_layer():
    source = keras.Input(shape=(6,), dtype="int64", name="source")
    target = keras.Input(shape=(6,), dtype="int64", name="target_so_far")
    _, h, c = layers.LSTM(32, return_state=True)(layers.Embedding(10, 16)(source))
    decoded = layers.LSTM(32, return_sequences=True)(layers.Embedding(10, 16)(target), initial_state=[h, c])
    return keras.Model([source, target], layers.Softmax()(layers.Dense(10)(decoded)))


def seq2seq_state_as_a_list():
    source = keras.Input(shape=(6,), dtype="int64", name="source")
    target = keras.Input(shape=(6,), dtype="int64", name="target_so_far")
    outputs = layers.LSTM(32, return_state=True, name="reader")(layers.Embedding(input_dim=10, output_dim=16)(source))
    state = outputs[1:]
    decoded = layers.LSTM(32, return_sequences=True, name="writer")(layers.Embedding(10, 16)(target), initial_state=state)
    return keras.Model(inputs=[source, target], outputs=[layers.Dense(10, activation="softmax")(decoded)])


def seq2seq_activation_layer():
    source = keras.Input(shape=(6,), dtype="int64", name="source")
    target = keras.Input(shape=(6,), dtype="int64", name="target_so_far")
    target_vectors = layers.Embedding(10, 16)(target)
    source_vectors = layers.Embedding(10, 16)(source)
    _, state_h, state_c = layers.LSTM(32, return_state=True)(source_vectors)
    decoded = layers.LSTM(32, return_sequences=True)(target_vectors, initial_state=[state_h, state_c])
    return keras.Model([source, target], layers.Activation("softmax")(layers.Dense(10)(decoded)))


RIGHT = {
    "q1": [
        ("encoder and decoder are Sequentials", autoencoder_sequential_parts),
        ("activations as layers inside the parts", autoencoder_activation_layers),
        ("one-element lists", autoencoder_lists),
    ],
    "q3": [
        ("Softmax layer", seq2seq_softmax_layer),
        ("state as a list, other names", seq2seq_state_as_a_list),
        ("Activation layer, embeddings in another order", seq2seq_activation_layer),
    ],
}
