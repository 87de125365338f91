"""A Keras model as a graph: data first, a picture second.

``model_graph(model)`` walks the model's own call records (Keras "nodes") and
returns a :class:`ModelGraph` with

* ``nodes`` – one name per layer (a layer called twice is still one node);
* ``edges`` – one :class:`Edge` per tensor connection, so a shared layer called on
  two inputs has two incoming edges and ``Multiply()([h, h])`` has two edges from ``h``;
* ``digraph`` – a ``graphviz.Digraph`` coloured by role, with shapes on the edges;
* a deterministic text description (``str(graph)``), which is what nbval compares.

In Jupyter a ModelGraph shows itself as an SVG picture plus that text.

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
"""

from __future__ import annotations

import html
import math
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import graphviz

from course_utils.dot import render_svg

__all__ = [
    "Edge",
    "LayerInfo",
    "ModelGraph",
    "ModelGraphError",
    "ROLE_COLOURS",
    "compare",
    "dot_available",
    "format_shape",
    "model_graph",
]

#: Fill colour of each role, also used by the legend.
ROLE_COLOURS: dict[str, str] = {
    "input": "#cfe8ff",
    "output": "#ffd9b3",
    "core": "#eeeeee",
    "merge": "#c8f0c8",
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
    source's outputs it is (an LSTM with ``return_state=True`` has three).
    """

    source: str
    target: str
    shape: tuple[int | None, ...]
    position: int = 0
    call: int = 0
    output: int = 0


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
        """Names of the merge layers."""
        return [
            name
            for name, info in self.layers.items()
            if info.role != "attention" and info.class_name not in _ATTENTION_CLASSES
            and max(Counter(e.call for e in self.in_edges(name)).values(), default=0) >= 2
        ]

    def structure(self) -> list[tuple[str, str, tuple[tuple[int | None, ...], ...], tuple[str, ...]]]:
        """(name, class, output shapes, sources) per layer: what two drawings must share to be the same graph."""
        return [
            (name, info.class_name, info.output_shapes, tuple(e.source for e in self.in_edges(name)))
            for name, info in self.layers.items()
        ]

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
        """The picture as SVG text. Needs Graphviz's ``dot``."""
        return render_svg(self.digraph.source)

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
                sources = [self._source_text(e) for e in self.in_edges(name) if e.call == call]
                calls.append(", ".join(sources) if sources else "-")
            fed_by = " | ".join(calls)
            shapes = " ".join(format_shape(s) for s in info.output_shapes)
            tag = f" [{info.role}]" if info.role not in ("core",) else ""
            lines.append(f"  {name:<{width}}  {info.class_name}{tag} <- {fed_by}" + (f"  -> {shapes}" if self.show_shapes else ""))
        merges = self.merges
        if merges:
            lines.append("merges: " + ", ".join(f"{m} ({self.layers[m].class_name})" for m in merges))
        shared = self.shared_layers
        if shared:
            lines.append("shared: " + ", ".join(f"{n} called {c} times" for n, c in shared.items()))
        nested = [n for n, info in self.layers.items() if info.role == "nested model"]
        expanded = [f"{c} (expanded, called {n} time{'s' if n > 1 else ''})" for c, n in self.clusters.items()]
        if nested or expanded:
            lines.append("nested models: " + ", ".join(nested + expanded))
        return "\n".join(lines)

    def _source_text(self, edge: Edge) -> str:
        """``lstm[1]`` for the second output of a layer with several outputs, else just its name."""
        info = self.layers.get(edge.source)
        return f"{edge.source}[{edge.output}]" if info is not None and len(info.output_shapes) > 1 else edge.source

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
) -> ModelGraph:
    """Read the graph of a Functional or Sequential Keras model.

    Args:
        model: a ``keras.Model`` built with the Functional API, or a
            ``keras.Sequential`` that starts with ``keras.Input``.
        show_shapes: label edges with the tensor shapes they carry.
        expand_nested: draw models used as layers as clusters of their own layers
            (names become ``"encoder/dense"``) instead of single nodes.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).

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
                    edges.append(
                        Edge(
                            _resolve_source(tensor, prefix, expand),
                            target,
                            _shape_tuple(tensor.shape),
                            position,
                            call_index,
                            _output_index(tensor, expand),
                        )
                    )
            continue
        widest = max((len(node.arguments.keras_tensors) for node in calls), default=0)
        role = _role(op, len(calls), nested is not None, widest)
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
        )
        for call_index, node in enumerate(calls):
            for position, tensor in enumerate(node.arguments.keras_tensors):
                edges.append(
                    Edge(
                        _resolve_source(tensor, prefix, expand),
                        name,
                        _shape_tuple(tensor.shape),
                        position,
                        call_index,
                        _output_index(tensor, expand),
                    )
                )


def _resolve_source(tensor: Any, prefix: str, expand: bool) -> str:
    """Name of the layer that produced ``tensor``, looking inside expanded nested models."""
    history = tensor._keras_history
    op = history.operation
    nested = _nested_functional(op)
    if nested is not None and expand:
        inner = nested.outputs[history.tensor_index]
        return _resolve_source(inner, prefix + op.name + "/", expand)
    return prefix + op.name


def _output_index(tensor: Any, expand: bool) -> int:
    """Which output of its producing layer ``tensor`` is (looking inside expanded nested models)."""
    history = tensor._keras_history
    nested = _nested_functional(history.operation)
    if nested is not None and expand:
        return _output_index(nested.outputs[history.tensor_index], expand)
    return int(history.tensor_index)


def _nested_functional(op: Any) -> Any | None:
    """The inner Functional graph of a model used as a layer, else None."""
    import keras

    if not isinstance(op, keras.Model):
        return None
    if isinstance(op, keras.Sequential):
        return getattr(op, "_functional", None)
    return op if hasattr(op, "_nodes_by_depth") else None


def _role(op: Any, calls: int, is_model: bool, inputs_per_call: int = 1) -> str:
    """The role a layer is coloured by; any layer that takes two or more tensors merges them."""
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
    if _is_merge_layer(op) or inputs_per_call >= 2:  # `x + 3` is an Add operation but merges nothing
        return "merge"
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
        '\tedge [arrowsize=0.6 color="#555555" fontname=Helvetica fontsize=9]\n',
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
        label = f' [{label_key}="{format_shape(edge.shape)}"]' if graph.show_shapes else ""
        lines.append(f"\t{_quote(edge.source)} -> {_quote(edge.target)}{label}\n")
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
