"""A Keras model as a graph: data first, a picture second.

``model_graph(model)`` walks the model's own call records (Keras "nodes") and
returns a :class:`ModelGraph` with

* ``nodes`` – one name per layer (a layer called twice is still one node);
* ``edges`` – one :class:`Edge` per tensor connection, so a shared layer called on
  two inputs has two incoming edges and ``Multiply()([h, h])`` has two edges from ``h``;
* ``digraph`` – a ``graphviz.Digraph`` coloured by role, with shapes on the edges;
* a deterministic text description (``str(graph)``), which is what nbval compares.

In Jupyter a ModelGraph shows itself as an SVG picture plus that text. Pictures
wider than :data:`MAX_WIDTH` points are shown scaled down to that width;
``graph.full_size()`` shows one at its natural size.

How the text form names a source (after ``<-``):

* ``lstm[1]`` – the second *output* of ``lstm`` (a layer with several outputs,
  like an LSTM with ``return_state=True``: ``[0]`` sequence, ``[1]`` h, ``[2]`` c);
* ``d#1`` – what the second *call* of the shared layer ``d`` returned
  (calls count from 0, like ``Edge.call``); a layer called once has no ``#``;
* ``lstm#1[2]`` – both at once: output 2 of call 1.

A shared layer's own line lists what each call reads, call by call:
``d  Dense [shared] <- #0: x | #1: y``. In the picture the same call numbers sit at the shared layer's end of
each arrow (``#0``, ``#1``).

Example:
    >>> import keras
    >>> inputs = keras.Input((4,), name="features")
    >>> hidden = keras.layers.Dense(8, name="hidden")(inputs)
    >>> twice = keras.layers.Multiply(name="square")([hidden, hidden])
    >>> graph = model_graph(keras.Model(inputs, twice, name="tiny"))
    >>> graph.nodes
    ['features', 'hidden', 'square']
    >>> [(e.source, e.target) for e in graph.edges]
    [('features', 'hidden'), ('hidden', 'square'), ('hidden', 'square')]
    >>> d = keras.layers.Dense(4, name="d")
    >>> a, b = d(hidden), d(twice)
    >>> pair = keras.Model(inputs, keras.layers.Subtract(name="gap")([a, b]))
    >>> [line.split("  -> ")[0] for line in model_graph(pair).describe().splitlines() if "Subtract [" in line]
    ['  gap       Subtract [merge] <- d#0, d#1']
"""

from __future__ import annotations

import html
import math
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import graphviz

from course_utils.dot import render_svg

__all__ = [
    "Edge",
    "LayerInfo",
    "MAX_WIDTH",
    "ModelGraph",
    "ModelGraphError",
    "ROLE_COLOURS",
    "compare",
    "dot_available",
    "format_shape",
    "limit_width",
    "model_graph",
]

#: Fill colour of each role, also used by the legend.
ROLE_COLOURS: dict[str, str] = {
    "input": "#cfe8ff",
    "output": "#ffd9b3",
    "core": "#eeeeee",
    "merge": "#c8f0c8",
    "several inputs": "#d6ecb0",
    "shared": "#ffc9de",
    "attention": "#e2d4ff",
    "normalisation": "#fff4b3",
    "nested model": "#c9f2f0",
}

_ATTENTION_CLASSES = {
    "Attention",
    "AdditiveAttention",
    "MultiHeadAttention",
    "GroupedQueryAttention",
}
_NORMALISATION_CLASSES = {
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "SpectralNormalization",
    "RMSNormalization",
    "Normalization",
}

#: Widest picture shown, in points (1/72 inch): wider ones are scaled down to it (see ModelGraph.full_size).
MAX_WIDTH = 3000.0

#: Colour of the call numbers drawn at a shared layer's end of its arrows.
CALL_COLOUR = "#a3275e"

#: Above this many edges, shapes are drawn as external edge labels and boxes are square (see _draw).
LARGE_GRAPH_EDGES = 80

INSTALL_DOT = (
    "Graphviz's `dot` program was not found, so the picture cannot be drawn; "
    "the text form above holds the same graph.\n"
    "Install Graphviz with one of:\n"
    "  apt:   sudo apt-get install graphviz\n"
    "  brew:  brew install graphviz\n"
    "  conda: conda install -c conda-forge graphviz\n"
    "then restart the kernel."
)


class ModelGraphError(TypeError):
    """Raised with a learner-friendly message when a model cannot be drawn."""


class Edge(NamedTuple):
    """One tensor flowing from one layer into another.

    ``position`` is the tensor's place among the target call's inputs (0 for the
    first argument of ``Concatenate``), ``call`` is which call of the target layer
    it feeds (0 for the first call of a shared layer), and ``output`` is which of the
    source's outputs it is (an LSTM with ``return_state=True`` has three), and
    ``source_call`` is which call of the source produced it (0 unless the source is
    shared).
    """

    source: str
    target: str
    shape: tuple[int | None, ...]
    position: int = 0
    call: int = 0
    output: int = 0
    source_call: int = 0


@dataclass(frozen=True)
class LayerInfo:
    """What the graph knows about one layer (or nested model)."""

    name: str
    class_name: str
    role: str
    calls: int
    output_shapes: tuple[tuple[int | None, ...], ...]
    params: int
    cluster: str = ""  # name of the nested model it was expanded from, if any
    merge: bool = False  # combines two or more tensors into one (see _input_kind)


@dataclass
class ModelGraph:
    """The structure of a Keras model; see the module docstring."""

    name: str
    layers: dict[str, LayerInfo]
    edges: list[Edge]
    inputs: list[tuple[str, tuple[int | None, ...]]]
    outputs: list[tuple[str, tuple[int | None, ...]]]
    show_shapes: bool = True
    rankdir: str = "TB"
    total_params: int = 0
    clusters: dict[str, int] = field(default_factory=dict)  # expanded nested model -> its call count
    max_width: float | None = MAX_WIDTH
    _digraph: graphviz.Digraph | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ data
    @property
    def nodes(self) -> list[str]:
        """Layer names in topological order, one per layer."""
        return list(self.layers)

    @property
    def shared_layers(self) -> dict[str, int]:
        """Layers called more than once, with their call counts."""
        return {n: info.calls for n, info in self.layers.items() if info.calls > 1}

    @property
    def merges(self) -> list[str]:
        """Names of the merge layers (also when a shared merge layer is coloured as shared)."""
        return [name for name, info in self.layers.items() if info.merge]

    def structure(self) -> list[tuple[str, str, tuple[tuple[int | None, ...], ...], tuple[str, ...]]]:
        """(name, class, output shapes, sources) per layer: what two drawings must share to be the same graph.

        Sources are written as in the text form, so they say which call and which output they come from.
        """
        return [
            (name, info.class_name, info.output_shapes, tuple(self.source_text(e) for e in self.in_edges(name)))
            for name, info in self.layers.items()
        ]

    def calls_of(self, name: str) -> int:
        """How many times layer ``name`` runs in this graph (a layer inside an expanded nested model runs once per call of it)."""
        info = self.layers[name]
        return max(info.calls, self.clusters.get(info.cluster, 1))

    def in_edges(self, name: str) -> list[Edge]:
        """Edges that end at layer ``name``, in call and argument order."""
        return sorted((e for e in self.edges if e.target == name), key=lambda e: (e.call, e.position))

    def out_edges(self, name: str) -> list[Edge]:
        """Edges that start at layer ``name``."""
        return [e for e in self.edges if e.source == name]

    def role_counts(self) -> dict[str, int]:
        """How many layers have each role."""
        return dict(Counter(info.role for info in self.layers.values()))

    # --------------------------------------------------------------- picture
    @property
    def digraph(self) -> graphviz.Digraph:
        """The ``graphviz.Digraph`` (built on first use)."""
        if self._digraph is None:
            self._digraph = _draw(self)
        return self._digraph

    def svg(self) -> str:
        """The picture as SVG text, at most ``max_width`` points wide. Needs Graphviz's ``dot``."""
        return limit_width(render_svg(self.digraph.source), self.max_width)

    def full_size(self) -> ModelGraph:
        """The same graph, drawn at its natural size however wide it is.

        Example:
            >>> graph = model_graph(keras.applications.ResNet50(weights=None), rankdir="LR")  # doctest: +SKIP
            >>> graph.full_size()   # scroll sideways through every layer                    # doctest: +SKIP
        """
        return replace(self, max_width=None, _digraph=self._digraph)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        text = self.describe()
        if not dot_available():
            return {"text/plain": text + "\n\n" + INSTALL_DOT}
        return {"image/svg+xml": self.svg(), "text/plain": text}

    # ------------------------------------------------------------------ text
    def describe(self) -> str:
        """A deterministic text description of the structure (what nbval compares)."""
        lines = [
            f"Model {self.name!r}: {len(self.inputs)} input(s), {len(self.outputs)} output(s), "
            f"{len(self.layers)} layers, {len(self.edges)} connections, {self.total_params:,} parameters"
        ]
        lines.append("inputs:  " + ", ".join(f"{n} {format_shape(s)}" for n, s in self.inputs))
        lines.append("outputs: " + ", ".join(f"{n} {format_shape(s)}" for n, s in self.outputs))
        lines.append("layers (in order, with what feeds them):")
        width = max(len(n) for n in self.layers) if self.layers else 0
        for name, info in self.layers.items():
            calls = []
            # inside an expanded shared model, one inner layer is fed once per call of the model
            call_count = max([info.calls] + [e.call + 1 for e in self.in_edges(name)])
            for call in range(call_count):
                sources = [self.source_text(e) for e in self.in_edges(name) if e.call == call]
                calls.append(", ".join(sources) if sources else "-")
            fed_by = " | ".join(f"#{call}: {sources}" for call, sources in enumerate(calls)) if call_count > 1 else calls[0]
            shapes = " ".join(format_shape(s) for s in info.output_shapes)
            tag = f" [{info.role}]" if info.role not in ("core",) else ""
            lines.append(f"  {name:<{width}}  {info.class_name}{tag} <- {fed_by}" + (f"  -> {shapes}" if self.show_shapes else ""))
        merges = self.merges
        if merges:
            lines.append("merges: " + ", ".join(f"{m} ({self.layers[m].class_name})" for m in merges))
        shared = self.shared_layers
        if shared:
            lines.append(
                "shared: "
                + ", ".join(f"{n} called {c} times" for n, c in shared.items())
                + " (#0 is the first call, #1 the second, ...)"
            )
        nested = [n for n, info in self.layers.items() if info.role == "nested model"]
        expanded = [f"{c} (expanded, called {n} time{'s' if n > 1 else ''})" for c, n in self.clusters.items()]
        if nested or expanded:
            lines.append("nested models: " + ", ".join(nested + expanded))
        return "\n".join(lines)

    def source_text(self, edge: Edge) -> str:
        """How the text form names the source of ``edge``: ``d``, ``d#1`` (call 1), ``lstm[2]`` (output 2), ``lstm#1[2]``."""
        info = self.layers.get(edge.source)
        if info is None:
            return edge.source
        text = edge.source
        if self.calls_of(edge.source) > 1:
            text += f"#{edge.source_call}"
        if len(info.output_shapes) > 1:
            text += f"[{edge.output}]"
        return text

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return self.describe()


def dot_available() -> bool:
    """True when Graphviz's ``dot`` program can be found on the PATH."""
    return shutil.which("dot") is not None


# ====================================================================== building
def model_graph(
    model: Any,
    *,
    show_shapes: bool = True,
    expand_nested: bool = False,
    rankdir: str = "TB",
    max_width: float | None = MAX_WIDTH,
) -> ModelGraph:
    """Read the graph of a Functional or Sequential Keras model.

    Args:
        model: a ``keras.Model`` built with the Functional API, or a
            ``keras.Sequential`` that starts with ``keras.Input``.
        show_shapes: label edges with the tensor shapes they carry.
        expand_nested: draw models used as layers as clusters of their own layers
            (names become ``"encoder/dense"``) instead of single nodes.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        max_width: widest picture in points; a wider one is scaled down to fit.
            ``None`` draws it at full size (as does ``graph.full_size()``).

    Raises:
        ModelGraphError: with a message that says what to do, for anything that is
            not a Keras model with a graph.

    Example:
        >>> import keras
        >>> stack = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="out")], name="stack")
        >>> model_graph(stack).nodes
        ['input_layer', 'out']
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ModelGraphError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL', not {rankdir!r}.")
    function = _functional_of(model)
    layers: dict[str, LayerInfo] = {}
    edges: list[Edge] = []
    clusters: dict[str, int] = {}
    _walk(function, "", expand_nested, layers, edges, clusters)
    inputs = [(_resolve_source(t, "", expand_nested), _shape_tuple(t.shape)) for t in function.inputs]
    outputs = [(_resolve_source(t, "", expand_nested), _shape_tuple(t.shape)) for t in function.outputs]
    # Layers that produce a model output and have no stronger role are "output".
    output_names = {n for n, _ in outputs}
    for name in output_names:
        info = layers[name]
        if info.role == "core":
            layers[name] = LayerInfo(**{**info.__dict__, "role": "output"})
    return ModelGraph(
        name=model.name,
        layers=layers,
        edges=edges,
        inputs=inputs,
        outputs=outputs,
        show_shapes=show_shapes,
        rankdir=rankdir,
        total_params=_count_params(model),
        clusters=clusters,
        max_width=max_width,
    )


def compare(left: Any, right: Any, *, titles: tuple[str, str] | None = None, **options: Any) -> "SideBySide":
    """Draw two models next to each other (for example a Sequential model and its Functional twin).

    Example:
        >>> view = compare(sequential_model, functional_model)   # doctest: +SKIP
        >>> view                                                   # doctest: +SKIP
    """
    graphs = (model_graph(left, **options), model_graph(right, **options))
    return SideBySide(graphs, titles or (graphs[0].name, graphs[1].name))


@dataclass
class SideBySide:
    """Two :class:`ModelGraph` objects shown in one row, with a text form for nbval."""

    graphs: tuple[ModelGraph, ModelGraph]
    titles: tuple[str, str]

    def describe(self) -> str:
        a, b = self.graphs
        verdict = "the same graph" if a.structure() == b.structure() else "different graphs"
        header = f"{self.titles[0]} | {self.titles[1]}: {verdict}"
        return "\n\n".join([header, f"[{self.titles[0]}]\n{a.describe()}", f"[{self.titles[1]}]\n{b.describe()}"])

    def __repr__(self) -> str:
        return self.describe()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        text = self.describe()
        if not dot_available():
            return {"text/plain": text + "\n\n" + INSTALL_DOT}
        cells = "".join(
            "<div style='flex:1;min-width:0'>"
            f"<div style='font-weight:bold;text-align:center'>{html.escape(title)}</div>{graph.svg()}</div>"
            for title, graph in zip(self.titles, self.graphs)
        )
        return {"text/html": f"<div style='display:flex;gap:1em;align-items:flex-start'>{cells}</div>", "text/plain": text}


# ------------------------------------------------------------------ internals
def _functional_of(model: Any) -> Any:
    """The object that holds the call graph, or a clear ModelGraphError."""
    try:
        import keras
    except ImportError as error:  # pragma: no cover - keras is a hard dependency
        raise ModelGraphError("model_graph needs Keras 3 (pip install keras).") from error
    if not isinstance(model, keras.Model):
        kind = type(model).__name__
        hint = ""
        if isinstance(model, keras.layers.Layer):
            hint = " Wrap the layer in a model first: keras.Model(inputs, layer(inputs))."
        elif isinstance(model, keras.KerasTensor):
            hint = " You passed a tensor; pass the model: keras.Model(inputs, outputs)."
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        raise ModelGraphError(f"model_graph expects a Keras model, but was given {article} {kind}.{hint}")
    if isinstance(model, keras.Sequential):
        functional = getattr(model, "_functional", None)
        if functional is None:
            raise ModelGraphError(
                f"The Sequential model {model.name!r} has not been built yet, so it has no graph to draw. "
                "Start it with an input, e.g. keras.Sequential([keras.Input(shape=(8,)), ...])."
            )
        return functional
    if not hasattr(model, "_nodes_by_depth") or not hasattr(model, "_nodes"):
        raise ModelGraphError(
            f"{model.name!r} is a subclassed model ({type(model).__name__}): its call() is Python code, "
            "so Keras keeps no graph of it to draw. Build it functionally instead: "
            "inputs = keras.Input(...); outputs = ...layers called on inputs...; keras.Model(inputs, outputs)."
        )
    return model


def _walk(
    function: Any,
    prefix: str,
    expand: bool,
    layers: dict[str, LayerInfo],
    edges: list[Edge],
    clusters: dict[str, int],
) -> None:
    """Add the layers and edges of ``function`` (a Functional model) under ``prefix``."""
    from keras.src.ops.function import make_node_key

    for op in function.operations:
        calls = [node for index, node in enumerate(op._inbound_nodes) if make_node_key(op, index) in function._nodes]
        nested = _nested_functional(op)
        name = prefix + op.name
        if nested is not None and expand:
            clusters[name] = len(calls)
            _walk(nested, name + "/", expand, layers, edges, clusters)
            # Edges into the nested model go to its input layers.
            for call_index, node in enumerate(calls):
                for position, tensor in enumerate(node.arguments.keras_tensors):
                    entry = nested.inputs[position] if position < len(nested.inputs) else nested.inputs[-1]
                    target = name + "/" + entry._keras_history.operation.name
                    edges.append(_edge(function, tensor, target, position, call_index, prefix, expand))
            continue
        kinds = [_input_kind(op, node) for node in calls]
        role = _role(op, len(calls), nested is not None, "merge" if "merge" in kinds else max(kinds, default=""))
        if role == "input" and prefix:  # the entry of an expanded nested model, not an input of the whole model
            role = "nested model"
        output_shapes = tuple(_shape_tuple(t.shape) for t in calls[0].outputs) if calls else ()
        layers[name] = LayerInfo(
            name=name,
            class_name=type(op).__name__,
            role=role,
            calls=max(len(calls), 1),
            output_shapes=output_shapes,
            params=_count_params(op),
            cluster=prefix.rstrip("/"),
            merge="merge" in kinds,
        )
        for call_index, node in enumerate(calls):
            for position, tensor in enumerate(node.arguments.keras_tensors):
                edges.append(_edge(function, tensor, name, position, call_index, prefix, expand))


def _edge(function: Any, tensor: Any, target: str, position: int, call: int, prefix: str, expand: bool) -> Edge:
    """The Edge that carries ``tensor`` (made inside ``function``) into call ``call`` of ``target``."""
    source, output, source_call = _origin(function, tensor, prefix, expand)
    return Edge(source, target, _shape_tuple(tensor.shape), position, call, output, source_call)


def _origin(function: Any, tensor: Any, prefix: str, expand: bool) -> tuple[str, int, int]:
    """(layer name, output index, call index) of the call that produced ``tensor`` inside ``function``.

    Inside an expanded nested model the producing layer is the inner one, and its call
    index is the nested model's (the inner graph runs once per call of the model).
    """
    history = tensor._keras_history
    op = history.operation
    source_call = _call_index(function, op, history.node_index)
    nested = _nested_functional(op)
    if nested is not None and expand:
        inner, output, _ = _origin(nested, nested.outputs[history.tensor_index], prefix + op.name + "/", expand)
        return inner, output, source_call
    return prefix + op.name, int(history.tensor_index), source_call


def _call_index(function: Any, op: Any, node_index: int) -> int:
    """Which call *within* ``function`` Keras' global ``node_index`` of ``op`` is (a layer may be used by other models too)."""
    from keras.src.ops.function import make_node_key

    keys = [make_node_key(op, index) for index in range(len(op._inbound_nodes))]
    used = [index for index, key in enumerate(keys) if key in function._nodes]
    return used.index(node_index) if node_index in used else 0


def _resolve_source(tensor: Any, prefix: str, expand: bool) -> str:
    """Name of the layer that produced ``tensor``, looking inside expanded nested models."""
    history = tensor._keras_history
    op = history.operation
    nested = _nested_functional(op)
    if nested is not None and expand:
        inner = nested.outputs[history.tensor_index]
        return _resolve_source(inner, prefix + op.name + "/", expand)
    return prefix + op.name


def _input_kind(op: Any, node: Any) -> str:
    """``"merge"``, ``"several inputs"`` or ``""`` for one call of ``op``.

    A merge combines tensors into one: a merge layer, any layer called on a *list* of
    two or more tensors (``Gap()([a, b])``), or an operation such as ``a * b``. A layer
    that reads two or more tensors through *separate arguments* - an LSTM's
    ``initial_state=``, attention's ``(query, value)`` - reads several inputs but
    merges nothing.
    """
    import keras

    tensors = node.arguments.keras_tensors
    if type(op).__name__ in _ATTENTION_CLASSES:  # [query, value] are two roles, not two things to combine
        return "several inputs" if len(tensors) >= 2 else ""
    if _is_merge_layer(op):
        return "merge"
    if len(tensors) < 2:  # `x + 3` is an Add operation but merges nothing
        return ""
    if not isinstance(op, keras.layers.Layer):  # keras.ops on two tensors: a * b, ops.add(a, b)
        return "merge"
    args = node.arguments.args
    if args and isinstance(args[0], (list, tuple, dict)) and len(keras.tree.flatten(args[0])) >= 2:
        return "merge"
    return "several inputs"


def _nested_functional(op: Any) -> Any | None:
    """The inner Functional graph of a model used as a layer, else None."""
    import keras

    if not isinstance(op, keras.Model):
        return None
    if isinstance(op, keras.Sequential):
        return getattr(op, "_functional", None)
    return op if hasattr(op, "_nodes_by_depth") else None


def _role(op: Any, calls: int, is_model: bool, input_kind: str = "") -> str:
    """The role a layer is coloured by (``input_kind`` comes from :func:`_input_kind`)."""
    import keras

    class_name = type(op).__name__
    if isinstance(op, keras.layers.InputLayer):
        return "input"
    if is_model or isinstance(op, keras.Model):
        return "nested model"
    if calls > 1:
        return "shared"
    if class_name in _ATTENTION_CLASSES:
        return "attention"
    if input_kind:
        return input_kind
    if class_name in _NORMALISATION_CLASSES:
        return "normalisation"
    return "core"


def _is_merge_layer(op: Any) -> bool:
    try:
        from keras.src.layers.merging.base_merge import Merge
    except ImportError:  # pragma: no cover - private path moved
        return False
    return isinstance(op, Merge)


def _count_params(op: Any) -> int:
    """What ``op.count_params()`` says, without building a ``tf.TensorShape`` per weight (5x faster)."""
    if not getattr(op, "built", False):  # unbuilt layers and plain operations (``x + 3``) have none
        return 0
    return sum(math.prod(_variable_shape(weight)) for weight in op.weights)


def _variable_shape(variable: Any) -> tuple[int, ...]:
    shape = getattr(variable, "_shape", None)  # a Keras variable's plain tuple; TF's .shape wraps it
    return shape if isinstance(shape, tuple) else tuple(variable.shape)


def _shape_tuple(shape: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in shape)


def format_shape(shape: tuple[int | None, ...]) -> str:
    """`(None, 8)` -> `"(None, 8)"`; a one-element shape keeps its comma: `(8,)`."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# ------------------------------------------------------------------- drawing
# The DOT text is written here directly: building it through the graphviz package's
# node()/edge() calls (which quote every attribute) took longer than walking the model.
_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)")
_DOT_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    """A DOT identifier or attribute value: bare when DOT allows it, otherwise in quotes."""
    if _PLAIN_ID.fullmatch(text) and text.lower() not in _DOT_KEYWORDS:
        return text
    return f'"{_escaped(text)}"'


def _draw(graph: ModelGraph) -> graphviz.Digraph:
    """The Digraph of ``graph``: one box per layer coloured by role, one arrow per tensor, a legend."""
    # Big graphs (keras.applications) are drawn for speed: square boxes (rounded corners
    # are Bezier curves, about a tenth of dot's time there) and shapes as external labels.
    large = len(graph.edges) > LARGE_GRAPH_EDGES
    style = "filled" if large else '"rounded,filled"'
    lines = [
        f"\tgraph [fontname=Helvetica nodesep=0.25 rankdir={graph.rankdir} ranksep=0.35]\n",
        f"\tnode [fontname=Helvetica fontsize=11 height=0.3 shape=box style={style}]\n",
        f'\tedge [arrowsize=0.6 color="#555555" fontname=Helvetica fontsize=9 labelfontcolor="{CALL_COLOUR}" labelfontsize=9]\n',
    ]
    outputs = {n for n, _ in graph.outputs}
    clusters: dict[str, list[str]] = {}
    for name, info in graph.layers.items():
        clusters.setdefault(info.cluster, []).append(name)

    def node_line(name: str, indent: str) -> str:
        info = graph.layers[name]
        label = f"{_escaped(name.rsplit('/', 1)[-1])}\\n{_escaped(info.class_name)}"  # \n: a line break in DOT
        if info.calls > 1:
            label += f"  ×{info.calls}"
        extra = " penwidth=2" if name in outputs else ""
        return f'{indent}{_quote(name)} [label="{label}" fillcolor="{ROLE_COLOURS[info.role]}"{extra}]\n'

    lines += [node_line(name, "\t") for name in clusters.get("", [])]
    for cluster in sorted(c for c in clusters if c):
        lines.append(f"\tsubgraph {_quote('cluster_' + cluster)} {{\n")
        lines.append(f'\t\tcolor="#3aa39a" fontname=Helvetica fontsize=10 label={_quote(cluster)} style="rounded,dashed"\n')
        lines += [node_line(name, "\t\t") for name in clusters[cluster]]
        lines.append("\t}\n")
    # On lesson-sized graphs shapes are real edge labels, which dot lays out neatly.
    # Edge labels become extra nodes in dot's layout, which triples its time on
    # graphs of hundreds of layers; there they are placed after layout instead (xlabel).
    label_key = "xlabel" if large else "label"
    for edge in graph.edges:
        attributes = [f'{label_key}="{format_shape(edge.shape)}"'] if graph.show_shapes else []
        # A shared layer's call number sits at its own end of the arrow: #0 next to the
        # shared layer on what its first call returned, and on what its first call reads.
        if graph.calls_of(edge.source) > 1:
            attributes.append(f'taillabel="#{edge.source_call}"')
        if graph.calls_of(edge.target) > 1:
            attributes.append(f'headlabel="#{edge.call}"')
        text = f" [{' '.join(attributes)}]" if attributes else ""
        lines.append(f"\t{_quote(edge.source)} -> {_quote(edge.target)}{text}\n")
    lines.append(_legend_line(graph))
    return graphviz.Digraph(name=graph.name, body=lines)


def _legend_line(graph: ModelGraph) -> str:
    """One plain-text legend node listing the roles present in the graph."""
    present = [role for role in ROLE_COLOURS if role in graph.role_counts()]
    rows = "".join(
        f'<TR><TD BGCOLOR="{ROLE_COLOURS[role]}" WIDTH="14"> </TD><TD ALIGN="LEFT">{role}</TD></TR>' for role in present
    )
    table = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR><TD COLSPAN="2"><B>roles</B></TD></TR>{rows}</TABLE>>'
    return f'\t_legend [label={table} fontsize=9 shape=plaintext style=""]\n'


# ------------------------------------------------------------------ size cap
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)pt"\s+height="([0-9.]+)pt"')


def limit_width(svg: str, max_width: float | None = MAX_WIDTH) -> str:
    """``svg`` shown at most ``max_width`` points wide, scaled evenly; the drawing itself is unchanged.

    Graphviz writes the natural size as the ``width``/``height`` of the ``<svg>``
    element and the drawing's own coordinates as its ``viewBox``, so changing only
    the first two scales the picture without laying it out again.

    Example:
        >>> limit_width('<svg width="6000pt" height="100pt" viewBox="0 0 6000 100">', 3000)
        '<svg width="3000pt" height="50pt" viewBox="0 0 6000 100">'
    """
    match = _SVG_SIZE.search(svg)
    if max_width is None or match is None:
        return svg
    width, height = float(match.group(1)), float(match.group(2))
    if width <= max_width:
        return svg
    scale = max_width / width
    start, end = match.span()
    head = svg[start:end]
    head = head.replace(f'width="{match.group(1)}pt"', f'width="{max_width:g}pt"', 1)
    head = head.replace(f'height="{match.group(2)}pt"', f'height="{height * scale:.0f}pt"', 1)
    return svg[:start] + head + svg[end:]
