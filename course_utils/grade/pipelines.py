"""Keras' input pipelines for NumPy arrays, without tf.data's autotuner (grader only).

``model.fit(x, y)`` on arrays feeds the model through a ``tf.data`` pipeline that Keras
builds with ``AUTOTUNE`` parallelism and prefetching. The autotuner starts helper
threads that hand every batch from one to another and wake up on timers to re-tune
buffer sizes. For the course's small in-memory data sets that costs more than it
saves, most of all when a kernel has a core to itself: measured on a 2-core machine,
ex01's context cell (two 8-epoch fits of a 3-layer model) took 2.5–2.9 s with the
autotuner off against 3.0–3.9 s with it on, and with it on the kernel sat idle for
15–22 % of that time, waiting on those hand-offs.

Turning autotuning off changes how many threads and buffers the pipeline uses, never
which samples go into which batch or in what order, so every trained number is the
same (``tests/test_grading.py`` compares the weights bit for bit). The grader calls
:func:`skip_autotuning` in every kernel before the learner's first cell and in its own
process before computing references. Learners' kernels are left as Keras made them.

Example:
    >>> skip_autotuning()    # doctest: +SKIP
    True
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

__all__ = ["preamble", "skip_autotuning"]

_MARK = "_course_autotuning_off"


def skip_autotuning() -> bool:
    """Build Keras' pipelines for arrays with tf.data autotuning off (imports Keras; safe to call again).

    Returns False, and changes nothing, when this Keras has no ``ArrayDataAdapter``
    with a ``get_tf_dataset`` method (a Keras that builds its pipelines differently).
    """
    import tensorflow as tf
    from keras.src.trainers.data_adapters import array_data_adapter

    adapter = getattr(array_data_adapter, "ArrayDataAdapter", None)
    original = getattr(adapter, "get_tf_dataset", None)
    if adapter is None or original is None:
        return False
    if getattr(original, _MARK, False):
        return True

    @functools.wraps(original)  # also keeps Keras' own method as __wrapped__
    def get_tf_dataset(self: Any) -> Any:
        options = tf.data.Options()
        options.autotune.enabled = False
        return original(self).with_options(options)

    setattr(get_tf_dataset, _MARK, True)
    adapter.get_tf_dataset = get_tf_dataset
    return True


def preamble() -> str:
    """The code the grader runs in each kernel before the learner's first cell.

    It loads this file by its path, so the kernel imports nothing else of the grader.

    Example:
        >>> "skip_autotuning()" in preamble()
        True
    """
    return (
        "import importlib.util as _util\n"
        f"_spec = _util.spec_from_file_location('_course_pipelines', {str(Path(__file__).resolve())!r})\n"
        "_module = _util.module_from_spec(_spec)\n"
        "_spec.loader.exec_module(_module)\n"
        "_module.skip_autotuning()\n"
        "del _util, _spec, _module\n"
    )
