"""Is the learner's model the reference model? Structural checks, then a behavioural one.

:func:`compare_models` returns ``None`` when the two models are the same design, or
one short reason, in the learner's words, when they are not. It never states the
expected values.

**The rule.** Two answers are the same design when their *canonical* graphs match and
they compute the same outputs with the reference weights. Both models are first
rewritten by :class:`~course_utils.checks.canonical.CanonicalGraph` (nested models
inlined, stand-alone activations folded into the layer before them, ``Softmax()`` equal
to ``Activation("softmax")``); anything else stays strict. The checks then run in this
order and stop at the first difference:

1. number, order and shapes of inputs, then of outputs;
2. layer types present in the reference but missing, or extra;
3. shared layers: one layer called N times;
4. sub-models, when the question asks for them (any ``keras.Model`` counts, a
   ``Sequential`` included);
5. how many layers of each type;
6. layer settings (units, filters, activation, axis…);
7. wiring: graph isomorphism that ignores names – ordered for ``Concatenate``,
   ``Subtract``, ``Dot`` and attention (query, value), unordered for ``Add``,
   ``Multiply``, ``Average``, ``Maximum`` and ``Minimum``;
8. behaviour: the reference weights are copied layer by layer into the learner's
   model, and both must give the same outputs on a seeded batch.

:func:`reuse_difference` then tells whether the answer calls the very layers of a
given model where the reference does.

Example:
    >>> compare_models(learner_model, reference_model)   # doctest: +SKIP
    "The Dense(16) layer should be created once and called on each of its inputs (so they share weights); you created 2 separate ones."
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any
import warnings

import numpy as np

from course_utils.checks.canonical import Call, CanonicalGraph, Unit, graph_of, layer_kind, op_activation
from course_utils.graph import format_shape

__all__ = ["compare_models", "layer_kind", "reuse_difference"]

UNORDERED_MERGES = {"Add", "Multiply", "Average", "Maximum", "Minimum"}
_MERGE_WORDS = {
    "Add": "a skip connection or a sum of branches adds tensors with Add",
    "Concatenate": "branches are joined side by side with Concatenate",
    "Subtract": "the difference of two paths needs Subtract",
    "Multiply": "an element-wise product needs Multiply",
    "Average": "averaging paths needs Average",
    "Maximum": "an element-wise maximum needs Maximum",
    "Dot": "a similarity or attention score needs Dot",
}


def compare_models(learner: Any, reference: Any, *, batch_seed: int = 0, nested: bool = False) -> str | None:
    """None if ``learner`` is the same design as ``reference``, else one reason why not.

    With ``nested``, the question asks for sub-models: the learner's model must call as
    many models as layers as the reference does.
    """
    mine, theirs = CanonicalGraph(learner), CanonicalGraph(reference)
    checks = [_inputs, _outputs, _types, _sharing, *([_nested] if nested else []), _counts, _settings, _wiring]
    for check in checks:
        reason = check(mine, theirs)
        if reason:
            return reason
    return _behaviour(mine, theirs, batch_seed)


def reuse_difference(learner: Any, reference: Any, learner_given: set[int], reference_given: set[int], given: str) -> str | None:
    """None if the learner's model calls the given model's own layers wherever the reference does.

    ``learner_given`` and ``reference_given`` hold the ids of the layers of the given
    model (say ``stack``) in each namespace; ``given`` is its name, for the message.
    Call it once :func:`compare_models` has found the designs equal.
    """
    mine, theirs = CanonicalGraph(learner), CanonicalGraph(reference)
    wanted = [(a, b) for a, b in _pair_units(mine, theirs) if id(b.layer) in reference_given]
    missing = [a for a, _ in wanted if id(a.layer) not in learner_given]
    if not missing:
        return None
    layers = ", ".join(repr(unit.name) for unit in missing[:3]) + (", ..." if len(missing) > 3 else "")
    return (
        f"Your model has the right design, but its layer{'s' if len(missing) > 1 else ''} {layers} "
        f"{'are' if len(missing) > 1 else 'is'} new: build it from {given}'s own layers "
        f"(for example {given}.get_layer(...).output), so that it keeps what {given} learned."
    )


# ----------------------------------------------------------------- the graph
class _Fingerprints:
    """Name-free fingerprints of the computations in one canonical graph, memoised.

    A fingerprint is (unit kind, output index, fingerprints of its inputs); inputs
    of unordered merges are sorted, and with ``ordered=False`` all inputs are, which
    tells an order mistake from a wiring mistake. Model inputs are fingerprinted by
    their position in ``model.inputs``.
    """

    def __init__(self, graph: CanonicalGraph, *, ordered: bool = True, loose: bool = False) -> None:
        self.ordered = ordered
        self.loose = loose  # compare classes only, not settings
        self.memo: dict[tuple[int, int], Any] = {}

    def of(self, call: Call, output_index: int) -> Any:
        key = (id(call), output_index)
        if key not in self.memo:
            if call.unit is None:
                self.memo[key] = ("Input", call.position)
            else:
                kind = call.unit.class_name if self.loose else call.unit.kind
                self.memo[key] = (kind, output_index, tuple(self.parents(call)))
        return self.memo[key]

    def _unordered(self, call: Call) -> bool:
        return call.unit is not None and call.unit.class_name in UNORDERED_MERGES or not self.ordered

    def parents(self, call: Call) -> list[Any]:
        children = [self.of(parent, index) for parent, index in call.parents]
        if self._unordered(call):
            children.sort(key=repr)
        return children

    def sorted_parents(self, call: Call) -> list[tuple[Call, int]]:
        """The call's parents, in the order its fingerprint uses."""
        parents = list(call.parents)
        if self._unordered(call):
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


def _inputs(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    mine, theirs = learner.inputs, reference.inputs
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
    wanted = getattr(graph_of(reference.model), "_inputs_struct", None)
    if isinstance(wanted, dict):
        given = getattr(graph_of(learner.model), "_inputs_struct", None)
        names = sorted(given) if isinstance(given, dict) else sorted(t._keras_history.operation.name for t in mine)
        if names != sorted(wanted):
            return (
                f"Your inputs are named {', '.join(map(repr, names))}, so the data, a dict keyed by input name, "
                "cannot reach them: name each keras.Input (and its dict key) as the question does."
            )
    return None


def _outputs(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    mine, theirs = graph_of(learner.model).outputs, graph_of(reference.model).outputs
    if len(mine) != len(theirs):
        return (
            f"Your model has {_plural(len(mine), 'output')}, but this design needs a different number of heads: "
            "pass every head to keras.Model(inputs, outputs=[...])."
        )
    wanted = getattr(graph_of(reference.model), "_outputs_struct", None)
    if isinstance(wanted, dict):
        given = getattr(graph_of(learner.model), "_outputs_struct", None)
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


def _nested(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    """The question asks for sub-models: any keras.Model called as a layer counts, a Sequential too."""
    mine, theirs = len(learner.nested_models), len(reference.nested_models)
    if mine >= theirs:
        return None
    if mine == 0:
        return (
            "Your model does not call another model as a layer, and this question asks for that: build that part "
            "as its own keras.Model (a keras.Sequential counts too), then call it like a layer."
        )
    classes = {type(model).__name__ for model in learner.nested_models}
    word = classes.pop() if len(classes) == 1 else "model"
    return (
        f"Your model has {_plural(mine, word + ' layer')}, fewer than this design: build each part the question "
        "names as its own keras.Model (a keras.Sequential counts too), then call it like a layer."
    )


def _type_counts(graph: CanonicalGraph) -> Counter[str]:
    return Counter(unit.class_name for unit in graph.units)


def _a(word: str) -> str:
    """The indefinite article for ``word``: "an Activation", "a Dense"."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _activations_of(graph: CanonicalGraph) -> set[str]:
    """Every activation the design applies, as a setting or as a stand-alone layer."""
    found = set()
    for unit in graph.units:
        value = unit.settings().get("activation")
        if isinstance(value, str) and value != "linear":
            found.add(value)
    return found


def _spelling_advice(unit: Unit, reference: CanonicalGraph) -> str | None:
    """What to write instead, when an extra unit only spells an activation the reference also applies."""
    function = op_activation(unit.layer)
    if function is None or function not in _activations_of(reference):
        return None
    standalone = any(u.class_name == "Activation" and u.settings().get("activation") == function for u in reference.units)
    instead = f"layers.Activation({function!r})" if standalone else f"activation={function!r} on the layer before it"
    return (
        f"Your model applies {function} with keras.ops directly ({unit.name!r}); the checks read layers, "
        f"so write {instead} instead: it computes the same and appears in the graph by name."
    )


def _types(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    mine = {unit.class_name for unit in learner.units}
    for unit in reference.units:
        name = unit.class_name
        if name not in mine:
            if name == "Activation":
                extra = next((u for u in learner.units if u.class_name not in {v.class_name for v in reference.units}), None)
                advice = _spelling_advice(extra, reference) if extra is not None else None
                if advice:
                    return advice
                spelled = type(unit.layer).__name__  # as the reference writes it: Activation, ReLU or Softmax
                return (
                    f"Your model has no {spelled} layer, which this design needs: an activation applied on its own, "
                    "after a step that has none of its own (a merge, say)."
                )
            why = _MERGE_WORDS.get(name, "")
            return f"Your model has no {name} layer" + (f": {why}." if why else ", which this design needs.")
    theirs = {unit.class_name for unit in reference.units}
    for unit in learner.units:
        spelled = type(unit.layer).__name__
        if unit.class_name == "Activation" and len(unit.kind[1]) > 1 and unit.settings()["activation"] in _activations_of(reference):
            described = ", ".join(f"{k}={v!r}" for k, v in unit.kind[1] if k != "activation")
            return (  # Softmax(axis=1) where the design applies softmax on the last axis
                f"Layer {unit.name!r} ({spelled}: {described}) has a setting this design does not use: "
                "re-read what the question asks of it."
            )
        if unit.class_name not in theirs:
            advice = _spelling_advice(unit, reference)
            if advice:
                return advice
            return f"Your model uses {_a(spelled)} layer ({unit.name!r}) that this design does not need."
    return None


def _call_counts(graph: CanonicalGraph) -> Counter[tuple[str, int]]:
    """(class, calls) of every unit."""
    return Counter((unit.class_name, calls) for unit, calls in graph.call_counts().items())


def _sharing(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    """Shared layers by class and call count; their settings are the settings check's business."""
    mine, theirs = _call_counts(learner), _call_counts(reference)
    for (class_name, calls), number in theirs.items():
        if calls < 2 or mine.get((class_name, calls), 0) >= number:
            continue
        shared = _shared_unit(reference, class_name, learner)
        separate = sum(1 for unit in learner.units if unit.kind == shared.kind)
        name = f"model {shared.owner.name!r}" if shared.owner is not None else _short(shared.kind) + " layer"
        weights = " (so they share weights)" if _has_weights(shared) else ""
        created = f"you created {separate} separate ones" if separate >= 2 else "you created separate ones"
        return f"The {name} should be created once and called on each of its inputs{weights}; {created}."
    for (class_name, calls), number in mine.items():
        if calls >= 2 and theirs.get((class_name, calls), 0) < number:
            unit = next(u for u, n in learner.call_counts().items() if (u.class_name, n) == (class_name, calls))
            if unit.owner is not None:  # a whole sub-model called several times
                return (
                    f"Your model calls one {type(unit.owner).__name__} layer {calls} times ({unit.owner.name!r}), so those "
                    "calls share weights; this design needs a separate model for each call."
                )
            weights = ", so those calls share weights;" if _has_weights(unit) else ";"
            return f"Your model calls one {class_name} layer {calls} times{weights} this design needs a separate layer for each call."
    return None


def _shared_unit(reference: CanonicalGraph, class_name: str, learner: CanonicalGraph) -> Unit:
    """The reference's shared unit of this class that the learner does not share."""
    counts = reference.call_counts()
    shared_by_learner = {unit.kind for unit, n in learner.call_counts().items() if n > 1}
    candidates = [unit for unit in reference.units if unit.class_name == class_name and counts[unit] > 1]
    candidates.sort(key=lambda unit: unit.kind in shared_by_learner)  # unshared ones first
    return candidates[0]


def _has_weights(unit: Unit) -> bool:
    return bool(getattr(unit.layer, "weights", None))


def _short(kind: tuple[Any, ...]) -> str:
    """("Dense", (("units", 64), ...)) -> "Dense(64)"."""
    settings = dict(kind[1])
    for key in ("units", "filters", "num_heads", "output_dim"):
        if key in settings:
            return f"{kind[0]}({settings[key]})"
    return str(kind[0])


def _counts(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
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


_DESCRIBED = ("units", "filters", "kernel_size", "activation", "axis", "axes", "num_heads", "key_dim", "pool_size", "strides",
              "padding", "normalize", "rate", "stddev", "scale", "offset", "epsilon", "target_shape", "input_dim", "output_dim")


def _settings(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    if Counter(unit.kind for unit in learner.units) == Counter(unit.kind for unit in reference.units):
        return None  # every setting is there; where they sit is the wiring check's business
    culprit = _aligned_setting_difference(learner, reference)
    if culprit is None:
        reference_kinds = Counter(unit.kind for unit in reference.units)
        for unit in learner.units:
            if reference_kinds[unit.kind] > 0:
                reference_kinds[unit.kind] -= 1
                continue
            culprit = unit
            break
    if culprit is None:
        return None
    if culprit.class_name in ("Functional", "Sequential"):
        return f"The model {culprit.name!r} that you use as a layer is built differently inside: check its layers and sizes."
    settings = culprit.settings()
    if type(culprit.layer).__name__ in ("Softmax", "ReLU"):  # the activation is the class itself
        settings.pop("activation", None)
    described = ", ".join(f"{k}={settings[k]!r}" for k in _DESCRIBED if k in settings)
    layer = f"{culprit.name!r} ({type(culprit.layer).__name__}{': ' + described if described else ''})"
    if culprit.owner is not None:
        return (
            f"The model {culprit.owner.name!r} that you use as a layer is built differently inside: its layer "
            f"{layer} has a setting this design does not use. Re-read what the question asks of it."
        )
    return f"Layer {layer} has a setting this design does not use: re-read what the question asks of it."


def _aligned_setting_difference(learner: CanonicalGraph, reference: CanonicalGraph) -> Unit | None:
    """When the graphs match class by class, the first learner unit whose settings differ from its twin."""
    a, b = _Fingerprints(learner, loose=True), _Fingerprints(reference, loose=True)
    if [a.of(*o) for o in learner.outputs] != [b.of(*o) for o in reference.outputs]:
        return None
    for mine, theirs in _pair_units(learner, reference, loose=True):
        if mine.kind != theirs.kind:
            return mine
    return None


def _wiring(learner: CanonicalGraph, reference: CanonicalGraph) -> str | None:
    for ordered in (True, False):
        a, b = _Fingerprints(learner, ordered=ordered), _Fingerprints(reference, ordered=ordered)
        if [a.of(*o) for o in learner.outputs] == [b.of(*o) for o in reference.outputs]:
            if ordered:
                return None
            culprit = _first_difference(learner, reference, ordered=True)
            name = f" {culprit.unit.name!r}" if culprit is not None and culprit.unit is not None else ""
            return (
                f"The layers are wired right, but the inputs of{name} come in a different order: "
                "for Concatenate, Subtract, Dot and attention the order of the inputs matters."
            )
    culprit = _first_difference(learner, reference, ordered=False)
    if culprit is None:  # every piece exists in the reference, so one is fed into the wrong place
        a, b = _Fingerprints(learner, ordered=False), _Fingerprints(reference, ordered=False)
        culprit = next((x for x, y in zip(learner.outputs, reference.outputs) if a.of(*x) != b.of(*y)), (None, 0))[0]
    if culprit is not None and culprit.unit is not None:
        where = f"check what feeds {culprit.unit.name!r} ({culprit.unit.class_name})"
    else:
        where = "check the connections"
    return f"All the right layers are there, but they are connected differently: {where}."


def _first_difference(learner: CanonicalGraph, reference: CanonicalGraph, *, ordered: bool) -> Call | None:
    """The first learner call (inputs first) that computes something the reference never does.

    Every call before it matches some reference call, so its own inputs are right
    and the mistake is in how it is fed (or, with ``ordered``, in their order).
    """
    a_prints, b_prints = _Fingerprints(learner, ordered=ordered), _Fingerprints(reference, ordered=ordered)
    known = {repr(b_prints.of(call, i)) for call in reference.calls for i in range(call.outputs)}
    for call in learner.calls:
        if any(repr(a_prints.of(call, i)) not in known for i in range(call.outputs)):
            return call
    return None


def _pair_units(learner: CanonicalGraph, reference: CanonicalGraph, *, loose: bool = False) -> list[tuple[Unit, Unit]]:
    """Reference unit for every learner unit, following the (now known equal) graphs."""
    pairs: dict[int, tuple[Unit, Unit]] = {}
    a_prints, b_prints = _Fingerprints(learner, loose=loose), _Fingerprints(reference, loose=loose)

    def walk(a: Call, b: Call) -> None:
        if a.unit is None or b.unit is None:
            return
        pairs.setdefault(id(a.unit), (a.unit, b.unit))
        for (next_a, _), (next_b, _) in zip(a_prints.sorted_parents(a), b_prints.sorted_parents(b)):
            walk(next_a, next_b)

    for (a, _), (b, _) in zip(learner.outputs, reference.outputs):
        walk(a, b)
    return list(pairs.values())


def _behaviour(learner: CanonicalGraph, reference: CanonicalGraph, seed: int) -> str | None:
    # keras.ops applied to tensors (``a - b``) are operations without weights: nothing to copy.
    pairs = [(a.layer, b.layer) for a, b in _pair_units(learner, reference) if _has_weights(a) or _has_weights(b)]
    saved = [(mine, mine.get_weights()) for mine, _ in pairs]
    try:
        for mine, theirs in pairs:
            weights = theirs.get_weights()
            if [w.shape for w in mine.get_weights()] != [w.shape for w in weights]:
                return f"Layer {mine.name!r} holds weights of other shapes than this design expects: check its size."
            mine.set_weights(weights)
        batch = _seeded_batch(reference.inputs, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = _as_list(learner.model(_structured(learner.model, batch), training=False))
            expected = _as_list(reference.model(_structured(reference.model, batch), training=False))
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

    structure = getattr(graph_of(model), "_inputs_struct", None)
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
