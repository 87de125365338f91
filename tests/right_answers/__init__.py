"""Right answers for every model question, one module per exercise (used by test_right_answers.py).

Each module has a ``RIGHT`` table: question -> [(label, answer), ...]. Every answer computes
exactly what the reference solution computes, in another spelling: other names, activations
as layers of their own (``Activation``, ``ReLU``, ``Softmax``), sub-models instead of plain
layers or the reverse, one-element lists, functional merges. ``check()`` and the classroom
grader must both judge every one of them correct.

For a question that reuses a model made in the notebook (``"reuses": "stack"`` in its
metadata), an answer is a function of that model: the test passes it the notebook's own.
"""
