"""The long-lived dot helper draws exactly what a fresh dot draws, and recovers from failures."""

from __future__ import annotations

import os
import signal

import graphviz
import pytest

from course_utils import dot
from course_utils.dot import close_helper, render_svg

SMALL = 'digraph small { a -> b; b -> c; a [label="first\\nnode" style=filled fillcolor="#cfe8ff"] }'
CLUSTERED = "digraph clustered { subgraph cluster_x { label=x; p -> q } q -> r [xlabel=shape] }"


def fresh_dot(source: str) -> str:
    return graphviz.pipe("dot", "svg", source.encode()).decode()


def test_every_drawing_is_byte_for_byte_what_a_fresh_dot_writes():
    close_helper()
    drawn = [render_svg(source) for source in (SMALL, CLUSTERED, SMALL, CLUSTERED)]
    assert drawn == [fresh_dot(SMALL), fresh_dot(CLUSTERED)] * 2
    assert dot._HELPER is not None, "the drawings should have gone through one helper"


def test_one_helper_serves_many_drawings():
    render_svg(SMALL)
    helper = dot._HELPER
    for _ in range(5):
        render_svg(CLUSTERED)
    assert dot._HELPER is helper and helper.process.poll() is None


def test_a_bad_graph_raises_dots_own_error_and_the_next_one_is_drawn():
    render_svg(SMALL)
    with pytest.raises(graphviz.CalledProcessError, match="syntax error"):
        render_svg("digraph broken { a -> ; }")
    assert render_svg(SMALL) == fresh_dot(SMALL)


def test_a_killed_helper_is_replaced():
    render_svg(SMALL)
    old = dot._HELPER
    os.kill(old.process.pid, signal.SIGKILL)
    old.process.wait()
    assert render_svg(CLUSTERED) == fresh_dot(CLUSTERED)
    assert dot._HELPER is not old and dot._HELPER.process.poll() is None


def test_a_forked_child_does_not_use_its_parents_helper(monkeypatch):
    render_svg(SMALL)
    parents = dot._HELPER
    monkeypatch.setattr(parents, "pid", -1)  # as if this process were a fork of the helper's owner
    assert render_svg(SMALL) == fresh_dot(SMALL)
    assert dot._HELPER is not parents and parents.process.poll() is None
    parents.pid = os.getpid()
    parents.close()


def test_close_helper_stops_the_process_and_drawing_starts_a_new_one():
    render_svg(SMALL)
    process = dot._HELPER.process
    close_helper()
    assert process.poll() is not None and dot._HELPER is None
    assert render_svg(SMALL) == fresh_dot(SMALL)


def test_without_dot_graphviz_says_it_is_missing(monkeypatch):
    render_svg(SMALL)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(graphviz.ExecutableNotFound):
        render_svg(SMALL)
    assert dot._HELPER is None
