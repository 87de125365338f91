"""Is the learner's model the reference model? Structural checks, then a behavioural one.

:func:`compare_models` returns ``None`` when the two models are the same design, or
one short reason, in the learner's words, when they are not. It never states the
expected values. The checks run in this order and stop at the first difference:

1. number, order and shapes of inputs, then of outputs;
2. layer types (``isinstance``) present in the reference but missing, or extra;
3. shared layers: one layer called N times, confirmed by the parameter count;
4. how many layers of each type;
5. layer settings (units, filters, activation, axis…);
6. wiring: graph isomorphism that ignores names – ordered for ``Concatenate``,
   ``Subtract``, ``Dot`` and attention (query, value), unordered for ``Add``,
   ``Multiply``, ``Average``, ``Maximum`` and ``Minimum``;
7. behaviour: the reference weights are copied layer by layer into the learner's
   model, and both must give the same outputs on a seeded batch.

Example:
    >>> compare_models(learner_model, reference_model)   # doctest: +SKIP
    "The Dense layer should be created once and called on both inputs; you created 2 separate ones."
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
import warnings

import numpy as np

from course_utils.graph import format_shape

__all__ = ["compare_models", "layer_kind"]

UNORDERED_MERGES = {"Add", "Multiply", "Average", "Maximum", "Minimum"}
_ATTENTION = {"MultiHeadAttention", "GroupedQueryAttention"}
_IGNORED_CONFIG = {"name", "trainable", "dtype", "seed", "build_config", "compile_config", "sparse", "ragged", "batch_shape"}
_MERGE_WORDS = {
    "Add": "a skip connection or a sum of branches adds tensors with Add",
    "Concatenate": "branches are joined side by side with Concatenate",
    "Subtract": "the difference of two paths needs Subtract",
    "Multiply": "an element-wise product needs Multiply",
    "Average": "averaging paths needs Average",
    "Maximum": "an element-wise maximum needs Maximum",
    "Dot": "a similarity or attention score needs Dot",
}


def compare_models(learner: Any, reference: Any, *, batch_seed: int = 0) -> str | None:
    """None if ``learner`` is the same design as ``reference``, else one reason why not."""
    for check in (_inputs, _outputs, _types, _sharing, _counts, _settings, _wiring):
        reason = check(learner, reference)
        if reason:
            return reason
    return _behaviour(learner, reference, batch_seed)


# ----------------------------------------------------------------- the graph
@dataclass(frozen=True)
class _Call:
    """One call of one layer inside a model: the layer and the calls feeding it."""

    layer: Any
    index: int  # which call of the layer
    parents: tuple[tuple["_Call", int], ...]  # (producing call, output index) per input tensor, in order


def _graph_of(model: Any) -> Any:
    import keras

    if isinstance(model, keras.Sequential):
        return model._functional
    return model


def _calls(model: Any) -> dict[tuple[int, int], _Call]:
    """Every call in the model, keyed by (id(layer), call index)."""
    from keras.src.ops.function import make_node_key

    function = _graph_of(model)
    calls: dict[tuple[int, int], _Call] = {}

    def call_of(layer: Any, node_index: int) -> _Call:
        key = (id(layer), node_index)
        if key not in calls:
            node = layer._inbound_nodes[node_index]
            tensors = list(node.arguments.keras_tensors)
            if type(layer).__name__ in _ATTENTION and len(tensors) == 3 and tensors[2] is tensors[1]:
                tensors = tensors[:2]  # attention(q, v, v) is attention(q, v): the key defaults to the value
            parents = tuple(
                (call_of(t._keras_history.operation, t._keras_history.node_index), t._keras_history.tensor_index)
                for t in tensors
            )
            calls[key] = _Call(layer, node_index, parents)
        return calls[key]

    for op in function.operations:
        for index in range(len(op._inbound_nodes)):
            if make_node_key(op, index) in function._nodes:
                call_of(op, index)
    return calls


def _outputs_calls(model: Any) -> list[tuple[_Call, int]]:
    function = _graph_of(model)
    calls = _calls(model)
    result = []
    for tensor in function.outputs:
        history = tensor._keras_history
        result.append((calls[(id(history.operation), history.node_index)], history.tensor_index))
    return result


def _layers(model: Any) -> list[Any]:
    import keras

    return [op for op in _graph_of(model).operations if not isinstance(op, keras.layers.InputLayer)]


def layer_kind(layer: Any) -> tuple[Any, ...]:
    """The class and the settings of a layer that shape what it computes (names and seeds ignored)."""
    try:
        config = layer.get_config()
    except (NotImplementedError, TypeError):
        config = {}
    if _is_model(layer):  # a model used as a layer is what its layers are, whatever their names
        return (type(layer).__name__, (("layers", tuple(layer_kind(inner) for inner in _layers(layer))),))
    items = []
    for key, value in sorted(config.items()):
        if key in _IGNORED_CONFIG or key.endswith(("_initializer", "_regularizer", "_constraint")):
            continue
        if key in ("axis", "axes"):
            value = _positive_axes(layer, value)
        if key in ("layers", "functional_config"):  # nested models: described by their own layers
            continue
        items.append((key, _freeze(value)))
    return (type(layer).__name__, tuple(items))


def _positive_axes(layer: Any, value: Any) -> Any:
    """axis=-1 on a rank-2 input is axis=1: equal settings should compare equal."""
    try:
        ranks = [len(t.shape) for t in layer._inbound_nodes[0].arguments.keras_tensors]
    except (AttributeError, IndexError):
        return value
    if not ranks:
        return value
    if isinstance(value, int):
        if type(layer).__name__ == "Dot" and len(ranks) == 2:  # Dot(axes=1) means axis 1 of both inputs
            return tuple(value + rank if value < 0 else value for rank in ranks)
        return value + ranks[0] if value < 0 else value
    if isinstance(value, (list, tuple)) and all(isinstance(v, int) for v in value):
        return tuple(v + ranks[min(i, len(ranks) - 1)] if v < 0 else v for i, v in enumerate(value))
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")  # 8 ** -0.5 and 1 / math.sqrt(8) are the same setting
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items() if k not in _IGNORED_CONFIG))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _is_model(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.Model)


class _Fingerprints:
    """Name-free fingerprints of the computations in one model, memoised.

    A fingerprint is (layer kind, output index, fingerprints of its inputs); inputs
    of unordered merges are sorted, and with ``ordered=False`` all inputs are, which
    tells an order mistake from a wiring mistake. Model inputs are fingerprinted by
    their position in ``model.inputs``.
    """

    def __init__(self, model: Any, *, ordered: bool = True, loose: bool = False) -> None:
        self.ordered = ordered
        self.loose = loose  # compare classes only, not settings
        self.positions = {id(t._keras_history.operation): i for i, t in enumerate(_graph_of(model).inputs)}
        self.memo: dict[tuple[int, int, int], Any] = {}

    def of(self, call: _Call, output_index: int) -> Any:
        key = (id(call.layer), call.index, output_index)
        if key not in self.memo:
            name = type(call.layer).__name__
            if name == "InputLayer":
                self.memo[key] = ("Input", self.positions.get(id(call.layer)))
            else:
                kind = type(call.layer).__qualname__ if self.loose else layer_kind(call.layer)
                self.memo[key] = (kind, output_index, tuple(self.parents(call)))
        return self.memo[key]

    def parents(self, call: _Call) -> list[Any]:
        children = [self.of(parent, index) for parent, index in call.parents]
        if type(call.layer).__name__ in UNORDERED_MERGES or not self.ordered:
            children.sort(key=repr)
        return children

    def sorted_parents(self, call: _Call) -> list[tuple[_Call, int]]:
        """The call's parents, in the order its fingerprint uses."""
        parents = list(call.parents)
        if type(call.layer).__name__ in UNORDERED_MERGES or not self.ordered:
            parents.sort(key=lambda p: repr(self.of(*p)))
        return parents


# ---------------------------------------------------------------- the checks
def _shape(tensor: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in tensor.shape)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _reordered(mine: list[Any], theirs: list[Any]) -> bool:
    """The same tensor shapes, in another order."""
    shapes, wanted = [_shape(t) for t in mine], [_shape(t) for t in theirs]
    return shapes != wanted and sorted(map(repr, shapes)) == sorted(map(repr, wanted))


def _inputs(learner: Any, reference: Any) -> str | None:
    mine, theirs = _graph_of(learner).inputs, _graph_of(reference).inputs
    if len(mine) != len(theirs):
        return (
            f"Your model has {_plural(len(mine), 'input')}, but this design needs a different number: "
            "give every kind of data its own keras.Input and pass them all to keras.Model."
        )
    if _reordered(mine, theirs):
        return (
            "Your inputs are all there, but in a different order: list them in keras.Model(inputs=[...]) "
            "in the order the question gives."
        )
    my_names = [t._keras_history.operation.name for t in mine]
    their_names = [t._keras_history.operation.name for t in theirs]
    explicit = not any(name.startswith("input_layer") for name in their_names)
    if explicit and my_names != their_names and sorted(my_names) == sorted(their_names):
        return (
            "Your inputs are all there, but in a different order: list them in keras.Model(inputs=[...]) "
            "in the order the question gives."
        )
    for position, (a, b) in enumerate(zip(mine, theirs), start=1):
        if _shape(a) != _shape(b):
            return (
                f"Input {position} has shape {format_shape(_shape(a))}, which does not match the data it receives: "
                "check the shape= you gave keras.Input (the batch size is left out)."
            )
    wanted = getattr(_graph_of(reference), "_inputs_struct", None)
    if isinstance(wanted, dict):
        given = getattr(_graph_of(learner), "_inputs_struct", None)
        names = sorted(given) if isinstance(given, dict) else sorted(t._keras_history.operation.name for t in mine)
        if names != sorted(wanted):
            return (
                f"Your inputs are named {', '.join(map(repr, names))}, so the data, a dict keyed by input name, "
                "cannot reach them: name each keras.Input (and its dict key) as the question does."
            )
    return None


def _outputs(learner: Any, reference: Any) -> str | None:
    mine, theirs = _graph_of(learner).outputs, _graph_of(reference).outputs
    if len(mine) != len(theirs):
        return (
            f"Your model has {_plural(len(mine), 'output')}, but this design needs a different number of heads: "
            "pass every head to keras.Model(inputs, outputs=[...])."
        )
    wanted = getattr(_graph_of(reference), "_outputs_struct", None)
    if isinstance(wanted, dict):
        given = getattr(_graph_of(learner), "_outputs_struct", None)
        if not isinstance(given, dict) or sorted(given) != sorted(wanted):
            named = f"named {', '.join(map(repr, sorted(given)))}" if isinstance(given, dict) else "given as a list"
            return (
                f"Your outputs are {named}; this design returns a dict of outputs keyed by the head names "
                "the question gives: keras.Model(inputs, {\"name\": head, ...})."
            )
    elif _reordered(mine, theirs):
        return (
            "Your heads are all there, but in a different order: list them in keras.Model(inputs, outputs=[...]) "
            "in the order the question gives."
        )
    for position, (a, b) in enumerate(zip(mine, theirs), start=1):
        if len(_shape(a)) != len(_shape(b)):
            return (
                f"Output {position} has shape {format_shape(_shape(a))}, with a different number of dimensions than "
                "this head needs: check whether something should flatten or pool before it."
            )
        if _shape(a) != _shape(b):
            return (
                f"Output {position} has shape {format_shape(_shape(a))}, which is not the shape this head needs: "
                "check the size of the last layer of that head."
            )
    return None


def _type_counts(model: Any) -> Counter[str]:
    return Counter(type(layer).__name__ for layer in _layers(model))


def _types(learner: Any, reference: Any) -> str | None:
    mine = _layers(learner)
    for layer in _layers(reference):
        cls = type(layer)
        if not any(_is_a(candidate, cls) for candidate in mine):
            name = cls.__name__
            if _is_model(layer):
                return (
                    "Your model does not call another model as a layer: build that part as its own keras.Model, "
                    "then call it like a layer."
                )
            why = _MERGE_WORDS.get(name, "")
            return f"Your model has no {name} layer" + (f": {why}." if why else ", which this design needs.")
    reference_types = {type(layer) for layer in _layers(reference)}
    for layer in mine:
        if not any(_is_a(layer, cls) for cls in reference_types):
            return f"Your model uses a {type(layer).__name__} layer ({layer.name!r}) that this design does not need."
    return None


def _is_a(layer: Any, cls: type) -> bool:
    """isinstance, or the same class defined again (a custom layer in the learner's notebook and in the reference)."""
    return isinstance(layer, cls) or (type(layer).__qualname__ == cls.__qualname__ and not cls.__module__.startswith("keras"))


def _call_counts(model: Any) -> Counter[tuple[Any, int]]:
    """(class with its units/filters, calls) of every layer – the settings that name a layer for a learner."""
    counts: Counter[tuple[Any, int]] = Counter()
    for call in _calls(model).values():
        if type(call.layer).__name__ != "InputLayer":
            counts[id(call.layer)] += 1
    layers = {id(layer): layer for layer in _layers(model)}
    return Counter((_class_kind(layers[i]), n) for i, n in counts.items() if i in layers)


def _class_kind(layer: Any) -> tuple[Any, ...]:
    return (type(layer).__name__, ())


def _sharing(learner: Any, reference: Any) -> str | None:
    """Shared layers by class and call count; their settings are the settings check's business."""
    mine, theirs = _call_counts(learner), _call_counts(reference)
    for (kind, calls), number in theirs.items():
        if calls < 2 or mine.get((kind, calls), 0) >= number:
            continue
        name, full_kind = _shared_layer(reference, kind[0], learner)
        separate = sum(1 for layer in _layers(learner) if layer_kind(layer) == full_kind)
        weights = " (so they share weights)" if _has_weights(kind) else ""
        created = f"you created {separate} separate ones" if separate >= 2 else "you created separate ones"
        return f"The {name} should be created once and called on each of its inputs{weights}; {created}."
    for (kind, calls), number in mine.items():
        if calls >= 2 and theirs.get((kind, calls), 0) < number:
            return (
                f"Your model calls one {_short(kind)} layer {calls} times, so those calls share weights; "
                "this design needs a separate layer for each call."
            )
    return None


def _shared_layer(reference: Any, class_name: str, learner: Any) -> tuple[str, Any]:
    """The reference's shared layer of this class that the learner does not share: its name and kind."""
    counts = Counter(id(call.layer) for call in _calls(reference).values())
    learner_counts = Counter(id(call.layer) for call in _calls(learner).values())
    shared_by_learner = {layer_kind(layer) for layer in _layers(learner) if learner_counts[id(layer)] > 1}
    candidates = [layer for layer in _layers(reference) if type(layer).__name__ == class_name and counts[id(layer)] > 1]
    candidates.sort(key=lambda layer: layer_kind(layer) in shared_by_learner)  # unshared ones first
    for layer in candidates:
            name = "encoder model" if _is_model(layer) else _short(layer_kind(layer)) + " layer"
            return name, layer_kind(layer)
    return class_name + " layer", None


def _has_weights(kind: tuple[Any, ...]) -> bool:
    return kind[0] not in {"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
                           "Flatten", "Dropout", "MaxPooling2D", "AveragePooling2D", "Activation", "Reshape"}


def _short(kind: tuple[Any, ...]) -> str:
    """("Dense", (("units", 64), ...)) -> "Dense(64)"."""
    settings = dict(kind[1])
    for key in ("units", "filters", "num_heads", "output_dim"):
        if key in settings:
            return f"{kind[0]}({settings[key]})"
    return kind[0]


def _counts(learner: Any, reference: Any) -> str | None:
    mine, theirs = _type_counts(learner), _type_counts(reference)
    for name in sorted(theirs):
        if mine[name] != theirs[name]:
            if mine[name] > theirs[name]:
                advice = "compare each branch and head with the question."
                more_or_fewer = "more"
            else:
                advice = "compare each branch and head with the question (a layer not connected to an output does not count)."
                more_or_fewer = "fewer"
            return f"Your model has {_plural(mine[name], name + ' layer')}, {more_or_fewer} than this design: {advice}"
    return None


def _settings(learner: Any, reference: Any) -> str | None:
    if Counter(map(layer_kind, _layers(learner))) == Counter(map(layer_kind, _layers(reference))):
        return None  # every setting is there; where they sit is the wiring check's business
    culprit = _aligned_setting_difference(learner, reference)
    if culprit is None:
        reference_kinds = Counter(layer_kind(layer) for layer in _layers(reference))
        for layer in _layers(learner):
            kind = layer_kind(layer)
            if reference_kinds[kind] > 0:
                reference_kinds[kind] -= 1
                continue
            culprit = layer
            break
    if culprit is None:
        return None
    if _is_model(culprit):
        return f"The model {culprit.name!r} that you use as a layer is built differently inside: check its layers and sizes."
    settings = dict(layer_kind(culprit)[1])
    keys = ("units", "filters", "kernel_size", "activation", "axis", "axes", "num_heads", "key_dim", "pool_size", "strides",
            "padding", "normalize", "rate", "stddev", "scale", "offset", "epsilon", "target_shape", "input_dim", "output_dim")
    described = ", ".join(f"{k}={settings[k]!r}" for k in keys if k in settings)
    return (
        f"Layer {culprit.name!r} ({type(culprit).__name__}{': ' + described if described else ''}) "
        "has a setting this design does not use: re-read what the question asks of it."
    )


def _aligned_setting_difference(learner: Any, reference: Any) -> Any | None:
    """When the graphs match class by class, the first learner layer whose settings differ from its twin."""
    a, b = _Fingerprints(learner, loose=True), _Fingerprints(reference, loose=True)
    mine_out, theirs_out = _outputs_calls(learner), _outputs_calls(reference)
    if [a.of(*o) for o in mine_out] != [b.of(*o) for o in theirs_out]:
        return None
    for mine, theirs in _pair_layers(learner, reference, loose=True):
        if layer_kind(mine) != layer_kind(theirs):
            return mine
    return None


def _wiring(learner: Any, reference: Any) -> str | None:
    mine_out, theirs_out = _outputs_calls(learner), _outputs_calls(reference)
    for ordered in (True, False):
        a, b = _Fingerprints(learner, ordered=ordered), _Fingerprints(reference, ordered=ordered)
        if [a.of(*o) for o in mine_out] == [b.of(*o) for o in theirs_out]:
            if ordered:
                return None
            culprit = _first_difference(learner, reference, ordered=True)
            name = f" {culprit.layer.name!r}" if culprit is not None else ""
            return (
                f"The layers are wired right, but the inputs of{name} come in a different order: "
                "for Concatenate, Subtract, Dot and attention the order of the inputs matters."
            )
    culprit = _first_difference(learner, reference, ordered=False)
    if culprit is None:  # every piece exists in the reference, so one is fed into the wrong place
        a, b = _Fingerprints(learner, ordered=False), _Fingerprints(reference, ordered=False)
        culprit = next((x for x, y in zip(mine_out, theirs_out) if a.of(*x) != b.of(*y)), (None, 0))[0]
    where = f"check what feeds {culprit.layer.name!r} ({type(culprit.layer).__name__})" if culprit else "check the connections"
    return f"All the right layers are there, but they are connected differently: {where}."


def _first_difference(learner: Any, reference: Any, *, ordered: bool) -> _Call | None:
    """The first learner call (inputs first) that computes something the reference never does.

    Every call before it matches some reference call, so its own inputs are right
    and the mistake is in how it is fed (or, with ``ordered``, in their order).
    """
    a_prints, b_prints = _Fingerprints(learner, ordered=ordered), _Fingerprints(reference, ordered=ordered)
    known = {repr(b_prints.of(call, i)) for call in _calls(reference).values() for i in range(_output_count(call))}
    for call in _calls(learner).values():
        if type(call.layer).__name__ == "InputLayer":
            continue
        if any(repr(a_prints.of(call, i)) not in known for i in range(_output_count(call))):
            return call
    return None


def _output_count(call: _Call) -> int:
    return max(1, len(call.layer._inbound_nodes[call.index].outputs))


def _pair_layers(learner: Any, reference: Any, *, loose: bool = False) -> list[tuple[Any, Any]]:
    """Reference layer for every learner layer, following the (now known equal) graphs."""
    pairs: dict[int, tuple[Any, Any]] = {}
    a_prints, b_prints = _Fingerprints(learner, loose=loose), _Fingerprints(reference, loose=loose)

    def walk(a: _Call, b: _Call) -> None:
        if type(a.layer).__name__ == "InputLayer":
            return
        pairs.setdefault(id(a.layer), (a.layer, b.layer))
        for (next_a, _), (next_b, _) in zip(a_prints.sorted_parents(a), b_prints.sorted_parents(b)):
            walk(next_a, next_b)

    for (a, _), (b, _) in zip(_outputs_calls(learner), _outputs_calls(reference)):
        walk(a, b)
    return list(pairs.values())


def _behaviour(learner: Any, reference: Any, seed: int) -> str | None:
    pairs = _pair_layers(learner, reference)
    saved = [(mine, mine.get_weights()) for mine, _ in pairs]
    try:
        for mine, theirs in pairs:
            weights = theirs.get_weights()
            if [w.shape for w in mine.get_weights()] != [w.shape for w in weights]:
                return f"Layer {mine.name!r} holds weights of other shapes than this design expects: check its size."
            mine.set_weights(weights)
        batch = _seeded_batch(_graph_of(reference).inputs, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = _as_list(learner(_structured(learner, batch), training=False))
            expected = _as_list(reference(_structured(reference, batch), training=False))
    finally:
        for mine, weights in saved:  # the learner's own layers keep their own weights
            mine.set_weights(weights)
    for position, (a, b) in enumerate(zip(ours, expected), start=1):
        if not np.allclose(np.asarray(a), np.asarray(b), atol=1e-5, rtol=1e-4):
            return (
                f"Your graph matches, but output {position} computes something else with the same weights: "
                "check activations and the order of operations."
            )
    return None


def _structured(model: Any, flat: list[np.ndarray]) -> Any:
    """The batch packed the way the model was built (a dict for named inputs, a list, or one array)."""
    from keras import tree

    structure = getattr(_graph_of(model), "_inputs_struct", None)
    if structure is None:
        return flat if len(flat) > 1 else flat[0]
    return tree.pack_sequence_as(structure, flat)


def _seeded_batch(inputs: Iterable[Any], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    batch = []
    for tensor in inputs:
        shape = tuple(4 if d is None else int(d) for d in tensor.shape)
        if "int" in str(tensor.dtype):
            batch.append(rng.integers(0, 3, size=shape).astype(str(tensor.dtype)))
        else:
            batch.append(rng.normal(size=shape).astype("float32"))
    return batch


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
