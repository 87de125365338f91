"""Right answers to ex10_attention."""

import keras
from keras import layers


def _inputs():
    return (
        keras.Input(shape=(4, 16), name="query"),
        keras.Input(shape=(6, 16), name="key"),
        keras.Input(shape=(6, 5), name="value"),
    )


def attention_activation_softmax():
    query, key, value = _inputs()
    scores = layers.Rescaling(0.25)(layers.Dot(axes=2)([query, key]))
    weights = layers.Activation("softmax")(scores)
    return keras.Model([query, key, value], layers.Dot(axes=(2, 1))([weights, value]))


def attention_functional_dots():
    query, key, value = _inputs()
    scores = layers.dot([query, key], axes=(2, 2))
    weights = layers.Softmax(axis=-1)(layers.Rescaling(scale=1 / 4)(scores))
    return keras.Model(inputs=[query, key, value], outputs=[layers.dot([weights, value], axes=(2, 1))])


def attention_other_names():
    q, k, v = (keras.Input(shape=shape, name=name) for shape, name in (((4, 16), "query"), ((6, 16), "key"), ((6, 5), "value")))
    similarity = layers.Dot(axes=-1, name="similarity")([q, k])
    weights = layers.Softmax(name="attention_weights")(layers.Rescaling(16**-0.5, name="scale")(similarity))
    return keras.Model([q, k, v], layers.Dot(axes=(2, 1), name="mix")([weights, v]))


def block_functional_add():
    sequence = keras.Input(shape=(10, 16))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8)(sequence, sequence)
    x = layers.LayerNormalization()(layers.add([attended, sequence]))
    hidden = layers.Dense(16)(layers.Dense(32, activation="relu")(x))
    return keras.Model(sequence, layers.LayerNormalization()(layers.add([hidden, x])))


def block_relu_layer_and_explicit_key():
    sequence = keras.Input(shape=(10, 16))
    attended = layers.MultiHeadAttention(2, 8)(sequence, sequence, sequence)
    x = layers.LayerNormalization()(layers.Add()([sequence, attended]))
    hidden = layers.Dense(16)(layers.ReLU()(layers.Dense(32)(x)))
    return keras.Model([sequence], [layers.LayerNormalization()(layers.Add()([x, hidden]))])


def block_feed_forward_as_a_model():
    feed_forward = keras.Sequential([keras.Input(shape=(10, 16)), layers.Dense(32, activation="relu"), layers.Dense(16)])
    sequence = keras.Input(shape=(10, 16))
    x = layers.LayerNormalization(axis=-1)(layers.Add()([sequence, layers.MultiHeadAttention(num_heads=2, key_dim=8)(sequence, sequence)]))
    return keras.Model(sequence, layers.LayerNormalization()(layers.Add()([x, feed_forward(x)])))


RIGHT = {
    "q1": [
        ("Activation('softmax')", attention_activation_softmax),
        ("functional dots, Softmax(axis=-1)", attention_functional_dots),
        ("other names, scale as a power", attention_other_names),
    ],
    "q3": [
        ("functional add, inputs swapped", block_functional_add),
        ("ReLU layer, key spelled out, lists", block_relu_layer_and_explicit_key),
        ("feed-forward part as a nested Sequential", block_feed_forward_as_a_model),
    ],
}
