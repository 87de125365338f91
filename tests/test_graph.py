"""course_utils.graph: nodes and edges on hand-made topologies, real applications, bad input."""

from __future__ import annotations

import collections
import re

import course_utils  # noqa: F401  (quiet TensorFlow before keras is imported)
import graphviz
import keras
import pytest
from keras import layers

from course_utils.graph import MAX_WIDTH, Edge, ModelGraphError, compare, limit_width, model_graph
from course_utils.training import reset


def pairs(graph):
    return [(e.source, e.target) for e in graph.edges]


# ---------------------------------------------------------------- topologies
def test_chain_sequential_and_functional_give_the_same_structure():
    reset(0)
    stack = keras.Sequential(
        [keras.Input((4,), name="x"), layers.Dense(3, name="a"), layers.Dense(2, name="b")], name="stack"
    )
    reset(0)
    x = keras.Input((4,), name="x")
    functional = keras.Model(x, layers.Dense(2, name="b")(layers.Dense(3, name="a")(x)), name="functional")
    for graph in (model_graph(stack), model_graph(functional)):
        assert graph.nodes == ["x", "a", "b"]
        assert pairs(graph) == [("x", "a"), ("a", "b")]
        assert graph.edges[0].shape == (None, 4)
        assert graph.total_params == 4 * 3 + 3 + 3 * 2 + 2
    assert "the same graph" in compare(stack, functional).describe()


def test_branch_and_ordered_merge_positions():
    x = keras.Input((8,), name="x")
    trunk = layers.Dense(16, name="trunk")(x)
    left = layers.Dense(4, name="left")(trunk)
    right = layers.Dense(6, name="right")(trunk)
    merged = layers.Concatenate(name="cat")([right, left])
    graph = model_graph(keras.Model(x, merged))
    assert sorted(e.target for e in graph.out_edges("trunk")) == ["left", "right"]
    into_cat = graph.in_edges("cat")
    assert [(e.source, e.position) for e in into_cat] == [("right", 0), ("left", 1)]
    assert [e.shape for e in into_cat] == [(None, 6), (None, 4)]
    assert graph.layers["cat"].role == "merge"
    assert graph.layers["cat"].output_shapes == ((None, 10),)


def test_shared_layer_is_one_node_with_an_edge_per_call():
    a = keras.Input((5,), name="a")
    b = keras.Input((5,), name="b")
    shared = layers.Dense(3, name="shared")
    merged = layers.Add(name="add")([shared(a), shared(b)])
    graph = model_graph(keras.Model([a, b], merged))
    assert graph.nodes.count("shared") == 1
    assert graph.shared_layers == {"shared": 2}
    assert graph.layers["shared"].role == "shared"
    into_shared = graph.in_edges("shared")
    assert [(e.source, e.call) for e in into_shared] == [("a", 0), ("b", 1)]
    assert [e for e in graph.edges if e.source == "shared"] == [
        Edge("shared", "add", (None, 3), position=0, call=0, source_call=0),
        Edge("shared", "add", (None, 3), position=1, call=0, source_call=1),
    ]
    assert "shared called 2 times" in graph.describe()
    assert "shared  Dense [shared] <- #0: a | #1: b" in graph.describe()
    assert "add     Add [merge] <- shared#0, shared#1" in graph.describe()
    assert r"shared\nDense  ×2" in graph.digraph.source


def test_multiply_of_a_tensor_with_itself_has_two_edges():
    x = keras.Input((4,), name="x")
    h = layers.Dense(4, name="h")(x)
    graph = model_graph(keras.Model(x, layers.Multiply(name="square")([h, h])))
    assert pairs(graph).count(("h", "square")) == 2
    assert graph.digraph.source.count("h -> square") == 2


def test_multi_input_multi_output_roles_and_text():
    image = keras.Input((8, 8, 1), name="image")
    meta = keras.Input((3,), name="meta")
    features = layers.Flatten(name="flat")(image)
    joined = layers.Concatenate(name="joined")([features, meta])
    normed = layers.LayerNormalization(name="norm")(joined)
    kind = layers.Dense(3, activation="softmax", name="kind")(normed)
    size = layers.Dense(1, name="size")(normed)
    graph = model_graph(keras.Model({"image": image, "meta": meta}, {"kind": kind, "size": size}, name="two_heads"))
    assert [name for name, _ in graph.inputs] == ["image", "meta"]
    assert sorted(name for name, _ in graph.outputs) == ["kind", "size"]
    roles = {name: info.role for name, info in graph.layers.items()}
    assert roles == {
        "image": "input",
        "meta": "input",
        "flat": "core",
        "joined": "merge",
        "norm": "normalisation",
        "kind": "output",
        "size": "output",
    }
    text = graph.describe()
    assert text.startswith("Model 'two_heads': 2 input(s), 2 output(s), 7 layers, 6 connections")
    assert "joined  Concatenate [merge] <- flat, meta  -> (None, 67)" in text


def test_attention_query_and_value_keep_their_order():
    query = keras.Input((6, 8), name="query")
    value = keras.Input((4, 8), name="value")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(query, value)
    graph = model_graph(keras.Model([query, value], attended))
    assert graph.layers["mha"].role in ("attention", "output")
    assert [(e.source, e.position) for e in graph.in_edges("mha")] == [("query", 0), ("value", 1)]
    dot_q = layers.Dot(axes=2, name="scores")
    q = keras.Input((3, 4), name="q")
    k = keras.Input((5, 4), name="k")
    scores_graph = model_graph(keras.Model([q, k], dot_q([q, k])))
    assert scores_graph.layers["scores"].output_shapes == ((None, 3, 5),)


def build_siamese():
    encoder = keras.Sequential(
        [keras.Input((4,), name="encoder_in"), layers.Dense(3, name="e1"), layers.Dense(2, name="e2")],
        name="encoder",
    )
    left = keras.Input((4,), name="left")
    right = keras.Input((4,), name="right")
    difference = layers.Subtract(name="diff")([encoder(left), encoder(right)])
    return keras.Model([left, right], layers.Dense(1, name="same")(difference), name="siamese")


def test_nested_model_collapsed_is_one_shared_node():
    graph = model_graph(build_siamese())
    assert graph.nodes == ["left", "right", "encoder", "diff", "same"]
    assert graph.layers["encoder"].role == "nested model"
    assert graph.layers["encoder"].calls == 2
    assert pairs(graph).count(("encoder", "diff")) == 2
    assert "nested models: encoder" in graph.describe()


def test_nested_model_expanded_is_a_cluster():
    graph = model_graph(build_siamese(), expand_nested=True)
    assert "encoder" not in graph.nodes
    assert {"encoder/encoder_in", "encoder/e1", "encoder/e2"} <= set(graph.nodes)
    assert ("left", "encoder/encoder_in") in pairs(graph)
    assert ("right", "encoder/encoder_in") in pairs(graph)
    assert pairs(graph).count(("encoder/e2", "diff")) == 2
    assert graph.clusters == {"encoder": 2}
    assert "subgraph cluster_encoder" in graph.digraph.source
    assert "encoder (expanded, called 2 times)" in graph.describe()


def test_description_is_deterministic_across_rebuilds():
    texts = []
    for _ in range(2):
        reset(0)
        x = keras.Input((3,))
        texts.append(model_graph(keras.Model(x, layers.Dense(2)(layers.Dense(4)(x)))).describe())
    assert texts[0] == texts[1]
    assert "0x" not in texts[0]


def test_svg_has_one_graphviz_node_per_layer_and_a_legend():
    graph = model_graph(build_siamese())
    svg = graph.svg()
    assert svg.count('class="node"') == len(graph.nodes) + 1  # + the legend
    assert "nested model" in svg and "merge" in svg
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["text/plain"] == graph.describe()


def test_show_shapes_false_drops_edge_labels():
    x = keras.Input((3,), name="x")
    model = keras.Model(x, layers.Dense(2, name="d")(x))
    assert "(None, 3)" in model_graph(model).digraph.source
    assert "(None, 3)" not in model_graph(model, show_shapes=False).digraph.source
    assert "rankdir=LR" in model_graph(model, rankdir="LR").digraph.source


def test_without_dot_the_text_and_the_install_command_are_shown(monkeypatch):
    x = keras.Input((3,), name="x")
    graph = model_graph(keras.Model(x, layers.Dense(2, name="d")(x)))
    monkeypatch.setenv("PATH", "/nonexistent")
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith(graph.describe())
    assert "apt-get install graphviz" in bundle["text/plain"] and "brew install graphviz" in bundle["text/plain"]
    with pytest.raises(graphviz.ExecutableNotFound):
        graph.svg()  # the raw picture truly needs dot: the bundle above is the fallback


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "thing, expected",
    [
        (42, "expects a Keras model, but was given an int"),
        ("model", "but was given a str"),
        (layers.Dense(3), "Wrap the layer in a model first"),
        (keras.Input((3,)), "You passed a tensor"),
        (keras.Sequential([layers.Dense(2)], name="lazy"), "'lazy' has not been built yet"),
    ],
)
def test_bad_input_gets_a_clear_message(thing, expected):
    with pytest.raises(ModelGraphError, match=expected) as caught:
        model_graph(thing)
    assert caught.value.__traceback__ is not None


def test_subclassed_model_says_how_to_build_it_functionally():
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    with pytest.raises(ModelGraphError, match=r"subclassed model .*keras\.Model\(inputs, outputs\)"):
        model_graph(Tiny())


def test_bad_rankdir():
    x = keras.Input((3,))
    with pytest.raises(ModelGraphError, match="rankdir"):
        model_graph(keras.Model(x, x), rankdir="diagonal")


# ---------------------------------------------------------------- real applications
def config_structure(model):
    """Layer names and (source, target) edges read independently from the model's own config."""
    config = model.get_config()
    edges = collections.Counter()

    def walk(obj, target):
        if isinstance(obj, dict):
            if obj.get("class_name") == "__keras_tensor__":
                edges[(obj["config"]["keras_history"][0], target)] += 1
                return
            for value in obj.values():
                walk(value, target)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                walk(value, target)

    for layer in config["layers"]:
        walk(layer["inbound_nodes"], layer["name"])
    return {layer["name"] for layer in config["layers"]}, edges


APPLICATIONS = ["ResNet50", "DenseNet121", "InceptionV3", "MobileNetV3Small", "EfficientNetB0", "ConvNeXtTiny"]


@pytest.mark.parametrize("name", APPLICATIONS)
def test_applications_agree_with_their_config(name):
    reset(0)
    model = getattr(keras.applications, name)(weights=None)
    graph = model_graph(model)
    names, edges = config_structure(model)
    assert set(graph.nodes) == names
    assert len(graph.nodes) == len(names)
    assert collections.Counter((e.source, e.target) for e in graph.edges) == edges
    assert graph.total_params == model.count_params()
    assert graph.merges, "every one of these architectures merges paths"
    if name == "MobileNetV3Small":
        assert any(graph.layers[m].class_name == "Multiply" for m in graph.merges)  # squeeze-and-excite


def test_nested_application_expands_consistently():
    reset(0)
    model = keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), include_top=False)
    collapsed = model_graph(model)
    expanded = model_graph(model, expand_nested=True)
    nested = [n for n, info in collapsed.layers.items() if info.role == "nested model"]
    assert nested and set(expanded.clusters) == set(nested)
    inner = 0
    for name in nested:
        sub = model.get_layer(name)
        inner += len((sub._functional if isinstance(sub, keras.Sequential) else sub).operations)
    assert len(expanded.nodes) == len(collapsed.nodes) - len(nested) + inner
    nodes = set(expanded.nodes)
    assert all(e.source in nodes and e.target in nodes for e in expanded.edges)


def test_a_custom_layer_taking_two_tensors_is_a_merge():
    class Gap(layers.Layer):
        def call(self, pair):
            return keras.ops.abs(pair[0] - pair[1])

    a = keras.Input((3,), name="a")
    b = keras.Input((3,), name="b")
    graph = model_graph(keras.Model([a, b], Gap(name="gap")([a, b])))
    assert graph.layers["gap"].role in ("merge", "output") and "gap" in graph.merges


def test_compare_tells_models_with_other_layer_classes_apart():
    def two_input(merge):
        a = keras.Input((3,), name="a")
        b = keras.Input((3,), name="b")
        return keras.Model([a, b], merge(name="merge")([a, b]))

    assert "different graphs" in compare(two_input(layers.Add), two_input(layers.Multiply)).describe().splitlines()[0]
    assert "the same graph" in compare(two_input(layers.Add), two_input(layers.Add)).describe().splitlines()[0]


def test_edges_say_which_output_of_a_layer_they_carry():
    tokens = keras.Input((5, 3), name="tokens")
    sequence, state_h, state_c = layers.LSTM(4, return_sequences=True, return_state=True, name="encoder")(tokens)
    joined = layers.Concatenate(name="states")([state_h, state_c])
    graph = model_graph(keras.Model(tokens, [sequence, joined]))
    assert [(e.source, e.output) for e in graph.in_edges("states")] == [("encoder", 1), ("encoder", 2)]
    assert "Concatenate [merge] <- encoder[1], encoder[2]  -> (None, 8)" in graph.describe()


def test_arithmetic_with_a_constant_is_not_a_merge():
    x = keras.Input((3,), name="x")
    shifted = keras.ops.add(x, 3.0)
    graph = model_graph(keras.Model(x, layers.Dense(2, name="d")(shifted)))
    (op,) = [name for name, info in graph.layers.items() if info.class_name == "Add"]
    assert graph.layers[op].role == "core" and graph.merges == []


def test_inner_inputs_of_an_expanded_model_are_not_model_inputs():
    graph = model_graph(build_siamese(), expand_nested=True)
    assert graph.layers["encoder/encoder_in"].role == "nested model"
    assert sum(info.role == "input" for info in graph.layers.values()) == 2


# ---------------------------------------------------------------- which call
def two_calls_of_one_layer(multiply_pair, subtract_pair):
    """One shared layer d, a, b = d(x), d(y); the two merges read the pairs given by index (0 = a, 1 = b)."""
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    d = layers.Dense(3, name="d")
    calls = [d(x), d(y)]
    multiplied = layers.Multiply(name="mul")([calls[i] for i in multiply_pair])
    subtracted = layers.Subtract(name="sub")([calls[i] for i in subtract_pair])
    return keras.Model([x, y], [multiplied, subtracted], name="pairs")


def test_graphs_tell_the_calls_of_a_shared_layer_apart():
    first = model_graph(two_calls_of_one_layer((0, 1), (0, 0)))
    second = model_graph(two_calls_of_one_layer((0, 0), (0, 1)))
    assert first.describe() != second.describe()
    assert first.digraph.source != second.digraph.source
    assert "mul  Multiply [merge] <- d#0, d#1" in first.describe()
    assert "sub  Subtract [merge] <- d#0, d#0" in first.describe()
    assert "mul  Multiply [merge] <- d#0, d#0" in second.describe()
    assert "sub  Subtract [merge] <- d#0, d#1" in second.describe()
    assert "different graphs" in compare(
        two_calls_of_one_layer((0, 1), (0, 0)), two_calls_of_one_layer((0, 0), (0, 1))
    ).describe().splitlines()[0]


def test_the_picture_puts_call_numbers_on_the_shared_layers_arrows():
    source = model_graph(two_calls_of_one_layer((0, 1), (0, 0))).digraph.source
    assert 'x -> d [label="(None, 4)" headlabel="#0"]' in source
    assert 'y -> d [label="(None, 4)" headlabel="#1"]' in source
    assert source.count('d -> mul [label="(None, 3)" taillabel="#0"]') == 1
    assert source.count('d -> mul [label="(None, 3)" taillabel="#1"]') == 1
    assert source.count('d -> sub [label="(None, 3)" taillabel="#0"]') == 2
    plain = model_graph(keras.Model(*(lambda x: (x, layers.Dense(2, name="d")(x)))(keras.Input((3,), name="x"))))
    assert "headlabel" not in plain.digraph.source and "taillabel" not in plain.digraph.source


def test_calls_are_counted_within_the_model_drawn():
    d = layers.Dense(2, name="d")
    earlier = keras.Input((3,), name="earlier")
    keras.Model(earlier, d(earlier))  # a first use elsewhere: Keras numbers this call 0
    x = keras.Input((3,), name="x")
    y = keras.Input((3,), name="y")
    graph = model_graph(keras.Model([x, y], layers.Add(name="add")([d(y), d(x)])))
    assert [(e.source, e.call) for e in graph.in_edges("d")] == [("y", 0), ("x", 1)]
    assert [e.source_call for e in graph.in_edges("add")] == [0, 1]
    assert "add  Add [merge] <- d#0, d#1" in graph.describe()


def test_a_shared_layer_with_several_outputs_names_call_and_output():
    lstm = layers.LSTM(2, return_state=True, name="lstm")
    first = keras.Input((4, 3), name="first")
    second = keras.Input((4, 3), name="second")
    _, h_first, _ = lstm(first)
    _, _, c_second = lstm(second)
    graph = model_graph(keras.Model([first, second], layers.Concatenate(name="cat")([h_first, c_second])))
    assert "cat     Concatenate [merge] <- lstm#0[1], lstm#1[2]" in graph.describe()


def test_a_shared_nested_model_expanded_names_its_calls():
    graph = model_graph(build_siamese(), expand_nested=True)
    assert "diff                Subtract [merge] <- encoder/e2#0, encoder/e2#1" in graph.describe()
    assert 'taillabel="#1"' in graph.digraph.source


# ---------------------------------------------------------------- several inputs, no merge
def test_an_lstm_with_an_initial_state_reads_several_inputs_and_merges_nothing():
    tokens = keras.Input((5, 3), name="tokens")
    state = keras.Input((4,), name="state")
    sequence = layers.LSTM(4, name="lstm")(tokens, initial_state=[state, state])
    graph = model_graph(keras.Model([tokens, state], layers.Dense(1, name="out")(sequence)))
    assert graph.layers["lstm"].role == "several inputs"
    assert graph.merges == []
    assert "lstm    LSTM [several inputs] <- tokens, state, state" in graph.describe()
    assert "several inputs" in graph.digraph.source  # in the legend


def test_attention_is_not_a_merge_but_a_list_taking_layer_and_an_operator_are():
    query = keras.Input((6, 8), name="query")
    value = keras.Input((4, 8), name="value")
    attended = layers.Attention(name="att")([query, value])
    mixed = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(attended, value)
    product = mixed * attended  # keras.ops on two tensors: a merge without a merge layer
    graph = model_graph(keras.Model([query, value], product))
    assert graph.layers["att"].role == "attention" and graph.layers["mha"].role == "attention"
    assert graph.merges == [name for name, info in graph.layers.items() if info.class_name == "Multiply"]
    assert len(graph.merges) == 1


# ---------------------------------------------------------------- size cap
def wide_model(branches=80):
    x = keras.Input((2,), name="x")
    paths = [layers.Dense(1, name=f"branch_with_a_long_name_{i}")(x) for i in range(branches)]
    return keras.Model(x, layers.Concatenate(name="cat")(paths))


def svg_width(svg):
    return float(re.search(r'<svg\b[^>]*?\swidth="([0-9.]+)pt"', svg).group(1))


def test_wide_pictures_are_capped_and_full_size_is_one_call_away():
    graph = model_graph(wide_model())
    assert svg_width(graph.svg()) == MAX_WIDTH
    assert svg_width(graph.full_size().svg()) > 2 * MAX_WIDTH
    assert svg_width(model_graph(wide_model(), max_width=None).svg()) > 2 * MAX_WIDTH
    assert graph._repr_mimebundle_()["image/svg+xml"] == graph.svg()
    assert svg_width(model_graph(wide_model(3)).svg()) < MAX_WIDTH  # small pictures keep their size


def test_limit_width_scales_width_and_height_together():
    svg = '<?xml?>\n<svg width="9000pt" height="300pt"\n viewBox="0.00 0.00 9000.00 300.00">'
    assert limit_width(svg, 3000) == '<?xml?>\n<svg width="3000pt" height="100pt"\n viewBox="0.00 0.00 9000.00 300.00">'
    assert limit_width(svg, None) == svg
    assert limit_width(svg, 10000) == svg
