"""A model's computation in one canonical spelling, so that equivalent answers compare equal.

Keras lets a learner write the same computation in several ways. :class:`CanonicalGraph`
rewrites a model into one form before the checks of :mod:`course_utils.checks.models`
compare it with the reference:

* **nested models are inlined**: a ``keras.Sequential`` or Functional model called as a
  layer becomes the calls of its own layers. Sharing is kept: a sub-model called twice
  gives its layers called twice, exactly like plain layers called twice;
* **stand-alone activations are folded** into the layer before them: ``Activation(f)``,
  ``ReLU()`` with its default arguments and ``Softmax()`` on the last axis become the
  ``activation`` setting of the preceding layer, when that layer has an ``activation``
  setting left at ``"linear"`` and feeds nothing else;
* an activation that cannot be folded is one kind whatever its spelling:
  ``Softmax()``, ``Activation("softmax")`` and ``ReLU()``/``Activation("relu")`` compare equal;
* ``attention(q, v, v)`` is ``attention(q, v)`` (the key defaults to the value), and a
  1×1 window with stride 1 pads nothing, so its ``padding`` is not compared.

The functional and class spellings of merges (``layers.add`` and ``layers.Add()``)
create the same layer class; Python operators on tensors (``a + b``, ``a - b``,
``a * b``) create operations named like the merge layers (``Add``…), without weights;
and one-element input or output lists flatten to the same graph. None of them needs a
rule of its own.

Example:
    >>> graph = CanonicalGraph(model)                      # doctest: +SKIP
    >>> [unit.kind[0] for unit in graph.units]             # doctest: +SKIP
    ['Dense', 'Dense']
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Call", "CanonicalGraph", "Unit", "activation_function", "graph_of", "is_model", "layer_kind"]

_ATTENTION = {"MultiHeadAttention", "GroupedQueryAttention"}
_IGNORED_CONFIG = {"name", "trainable", "dtype", "seed", "build_config", "compile_config", "sparse", "ragged", "batch_shape"}
#: keras.ops functions applied directly to tensors that compute a plain activation:
#: not folded (the rules stay strict), but named, so a message can say what to write.
_ACTIVATION_OPS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax", "Gelu": "gelu",
                   "Silu": "silu", "Elu": "elu", "Selu": "selu", "Softplus": "softplus", "Relu6": "relu6"}


def is_model(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.Model)


def graph_of(model: Any) -> Any:
    """The Functional graph behind a model (a built ``Sequential`` keeps one of its own)."""
    import keras

    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None) or model
    return model


def layer_kind(layer: Any) -> tuple[Any, ...]:
    """The class and the settings of a layer that shape what it computes (names and seeds ignored).

    Example:
        >>> layer_kind(keras.layers.Dense(4, name="a"))[0]   # doctest: +SKIP
        'Dense'
    """
    try:
        config = layer.get_config()
    except (NotImplementedError, TypeError, AttributeError):
        config = {}
    if is_model(layer):  # an opaque sub-model (one that could not be inlined) is what its layers are
        inner = [op for op in getattr(graph_of(layer), "operations", []) if type(op).__name__ != "InputLayer"]
        return (type(layer).__name__, (("layers", tuple(layer_kind(op) for op in inner)),))
    items = []
    for key, value in sorted(config.items()):
        if key in _IGNORED_CONFIG or key.endswith(("_initializer", "_regularizer", "_constraint")):
            continue
        if key in ("axis", "axes"):
            value = _positive_axes(layer, value)
        if key in ("layers", "functional_config"):
            continue
        if key == "padding" and _pointwise(config):
            value = "valid"  # a 1x1 window with stride 1 pads nothing: "same" and "valid" compute alike
        items.append((key, _freeze(value)))
    return (type(layer).__name__, tuple(items))


def _pointwise(config: dict[str, Any]) -> bool:
    """A convolution or pooling whose window is one cell and whose stride is 1."""
    window = config.get("kernel_size", config.get("pool_size"))
    strides = config.get("strides", window)
    sizes = [window] if isinstance(window, int) else list(window or [])
    steps = [strides] if isinstance(strides, int) else list(strides or [])
    return bool(sizes) and all(s == 1 for s in sizes) and all(s == 1 for s in steps)


def activation_function(layer: Any) -> str | None:
    """The activation a stand-alone activation layer applies, or None for any other layer.

    ``Activation(f)`` applies ``f``; ``ReLU()`` with its default arguments applies
    ``"relu"``; ``Softmax()`` over the last axis applies ``"softmax"``.
    """
    import keras

    if not isinstance(layer, keras.layers.Layer):
        return None
    name = type(layer).__name__
    try:
        config = layer.get_config()
    except (NotImplementedError, TypeError):
        return None
    if name == "Activation":
        value = config.get("activation")
        return value if isinstance(value, str) else None
    if name == "ReLU":
        if config.get("max_value") is None and not config.get("negative_slope") and not config.get("threshold"):
            return "relu"
        return None
    if name == "Softmax":
        axis = config.get("axis", -1)
        rank = _input_rank(layer)
        if axis == -1 or (rank is not None and axis == rank - 1) or axis == [-1]:
            return "softmax"
    return None


def op_activation(layer: Any) -> str | None:
    """The activation a keras.ops call applied directly to a tensor computes (``ops.relu`` -> "relu")."""
    import keras

    if isinstance(layer, keras.layers.Layer):
        return None
    return _ACTIVATION_OPS.get(type(layer).__name__)


@dataclass(eq=False)
class Unit:
    """One canonical layer: a real layer, possibly with stand-alone activations folded into it.

    ``layer`` holds the weights (or is the activation layer itself); ``kind`` is its
    class and settings after folding; ``owner`` is the sub-model it was inlined from.
    """

    layer: Any
    kind: tuple[Any, ...]
    owner: Any = None
    folded: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.layer.name)

    @property
    def class_name(self) -> str:
        return str(self.kind[0])

    def settings(self) -> dict[str, Any]:
        return dict(self.kind[1])


@dataclass(eq=False)
class Call:
    """One call of a unit: the (call, output index) pairs feeding it, in order.

    A model input is a call with no unit and its ``position`` in ``model.inputs``.
    """

    unit: Unit | None
    parents: tuple[tuple["Call", int], ...]
    outputs: int = 1
    position: int | None = None

    @property
    def is_input(self) -> bool:
        return self.unit is None


class CanonicalGraph:
    """The canonical computation of one model (see the module docstring for the rules)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        graph = graph_of(model)
        self.inputs: list[Any] = list(graph.inputs)
        self.nested_models: list[Any] = []
        self._units: dict[Any, Unit] = {}
        inputs = [Call(None, (), 1, position=i) for i in range(len(self.inputs))]
        self._memo: dict[Any, Any] = {}
        bindings = {id(t): (call, 0) for t, call in zip(self.inputs, inputs)}
        raw = [self._resolve(t, (), bindings, None) for t in graph.outputs]
        self.outputs = self._fold(raw)
        self.calls = self._walk()
        self.units: list[Unit] = list(dict.fromkeys(call.unit for call in self.calls if call.unit is not None))

    # ------------------------------------------------------------ reading
    def call_counts(self) -> Counter[Unit]:
        """How often each unit is called (more than once: the unit is shared)."""
        return Counter(call.unit for call in self.calls if call.unit is not None)

    def layers(self) -> set[int]:
        """ids of every real layer the canonical graph uses (folded activations included)."""
        found = set()
        for unit in self.units:
            found.add(id(unit.layer))
            found.update(id(layer) for layer in unit.folded)
        return found

    # ----------------------------------------------------------- building
    def _unit(self, layer: Any, owner: Any) -> Unit:
        key = id(layer)
        if key not in self._units:
            self._units[key] = Unit(layer, _canonical_kind(layer), owner)
        return self._units[key]

    def _resolve(self, tensor: Any, scope: tuple[Any, ...], bindings: dict[int, tuple[Call, int]], owner: Any) -> tuple[Call, int]:
        """The (call, output index) that produces ``tensor`` inside the (inlined) scope."""
        if id(tensor) in bindings:
            return bindings[id(tensor)]
        history = tensor._keras_history
        op, node_index, output_index = history.operation, history.node_index, history.tensor_index
        key = (scope, id(op), node_index)
        node = op._inbound_nodes[node_index]
        arguments = list(node.arguments.keras_tensors)
        if is_model(op) and hasattr(graph_of(op), "inputs") and len(graph_of(op).inputs) == len(arguments):
            if key not in self._memo:
                if op not in self.nested_models:
                    self.nested_models.append(op)
                inner = graph_of(op)
                parents = [self._resolve(t, scope, bindings, owner) for t in arguments]
                inner_bindings = {id(t): parent for t, parent in zip(inner.inputs, parents)}
                self._memo[key] = [self._resolve(t, key, inner_bindings, op) for t in inner.outputs]
            return self._memo[key][output_index]
        if key not in self._memo:
            if type(op).__name__ in _ATTENTION and len(arguments) == 3 and arguments[2] is arguments[1]:
                arguments = arguments[:2]  # attention(q, v, v) is attention(q, v): the key defaults to the value
            parents = tuple(self._resolve(t, scope, bindings, owner) for t in arguments)
            self._memo[key] = Call(self._unit(op, owner), parents, max(1, len(node.outputs)))
        return self._memo[key], output_index

    def _fold(self, outputs: list[tuple[Call, int]]) -> list[tuple[Call, int]]:
        """Fold stand-alone activations into the layer before them, where that changes nothing."""
        consumers: Counter[tuple[int, int]] = Counter((id(call), index) for call, index in outputs)
        seen: set[int] = set()
        stack = [call for call, _ in outputs]
        while stack:
            call = stack.pop()
            if id(call) in seen:
                continue
            seen.add(id(call))
            for parent, index in call.parents:
                consumers[(id(parent), index)] += 1
                stack.append(parent)

        folded: dict[int, Call] = {}
        units: dict[tuple[int, str], Unit] = {}

        def fold(call: Call) -> Call:
            if id(call) in folded:
                return folded[id(call)]
            parents = tuple((fold(parent), index) for parent, index in call.parents)
            result = None
            unit = call.unit
            if unit is not None and unit.class_name == "Activation" and len(parents) == 1:
                (before, index), (original, _) = parents[0], call.parents[0]
                function = unit.settings().get("activation")
                base = before.unit
                if (
                    base is not None
                    and before.outputs == 1
                    and consumers[(id(original), index)] == 1
                    and base.settings().get("activation") == "linear"
                    and isinstance(function, str)
                    and len(unit.kind[1]) == 1  # a plain activation, nothing more
                ):
                    key = (id(base.layer), function)
                    if key not in units:
                        kind = (base.kind[0], tuple((k, function if k == "activation" else v) for k, v in base.kind[1]))
                        units[key] = Unit(base.layer, kind, base.owner, [*base.folded])
                    if unit.layer not in units[key].folded:
                        units[key].folded.append(unit.layer)
                    result = Call(units[key], before.parents, 1)
            if result is None:
                result = Call(unit, parents, call.outputs, call.position)
            folded[id(call)] = result
            return result

        return [(fold(call), index) for call, index in outputs]

    def _walk(self) -> list[Call]:
        """Every call that feeds an output, each after the calls that feed it."""
        order: list[Call] = []
        seen: set[int] = set()

        def visit(call: Call) -> None:
            if id(call) in seen:
                return
            seen.add(id(call))
            for parent, _ in call.parents:
                visit(parent)
            if not call.is_input:
                order.append(call)

        for call, _ in self.outputs:
            visit(call)
        return order


# ----------------------------------------------------------------- helpers
def _canonical_kind(layer: Any) -> tuple[Any, ...]:
    """A layer's kind; every activation layer is an ``Activation`` (extra settings kept, so still compared)."""
    function = activation_function(layer)
    if function:
        return ("Activation", (("activation", function),))
    kind = layer_kind(layer)
    if kind[0] in ("ReLU", "Softmax"):  # ReLU(max_value=6), Softmax(axis=1): an activation with settings
        return ("Activation", (("activation", kind[0].lower()), *kind[1]))
    return kind


def _input_rank(layer: Any) -> int | None:
    try:
        return len(layer._inbound_nodes[0].arguments.keras_tensors[0].shape)
    except (AttributeError, IndexError):
        return None


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
