"""Helpers for the functional-keras-course notebooks.

Importing this package first (before ``keras`` or ``tensorflow``) gives the process the
course's numeric set-up (:mod:`course_utils.numerics`): TensorFlow's start-up chatter
off (``TF_CPP_MIN_LOG_LEVEL=2``, ``TF_ENABLE_ONEDNN_OPTS=0``; errors still shown) and
the arithmetic path pinned (``ONEDNN_MAX_CPU_ISA=AVX2`` on x86-64,
``TF_NUM_INTRAOP_THREADS=1``), so that a fresh run repeats the stored numbers. Values
already set in the environment are respected.

Modules, one job each:

* :mod:`course_utils.graph` – a model as data (nodes, edges) and as a picture;
* :mod:`course_utils.dot` – one long-lived Graphviz ``dot`` process that draws every picture;
* :mod:`course_utils.data` – seeded synthetic data sets, no downloads;
* :mod:`course_utils.training` – reset, quiet fitting, history plots;
* :mod:`course_utils.widgets` – the live model and plot explorers;
* :mod:`course_utils.merging`, :mod:`course_utils.gradients`, :mod:`course_utils.pictures` –
  merge printouts, gradient norms, image grids and heatmaps for single lessons;
* :mod:`course_utils.checks`, :mod:`course_utils.regions`, :mod:`course_utils.exercises` –
  exercise checks, answer regions, and the generator of ``exercises/``;
* :mod:`course_utils.progress` – the learner's record of every check, and the view of it;
* :mod:`course_utils.errors` – short, path-free tracebacks for the lessons' intended errors;
* :mod:`course_utils.notebooks` – executing and normalising course notebooks;
* :mod:`course_utils.numerics`, :mod:`course_utils.nbval_numbers` – the numeric set-up of every
  kernel, and how nbval compares fresh numbers with stored ones;
* :mod:`course_utils.environment` – the set-up check of lesson 00;
* :mod:`course_utils.terminal` – commands that end quietly when their output is cut short.

Example:
    >>> import course_utils
    >>> from course_utils.graph import model_graph
"""

from __future__ import annotations

import logging
import os

from course_utils.numerics import apply_kernel_environment

apply_kernel_environment()
# Keras prints model.summary() as wide as the terminal that started Jupyter; a
# fixed width keeps stored notebook outputs identical across machines and shells.
os.environ["COLUMNS"] = "100"

# TensorFlow's Python warnings (for example "5 out of the last 9 calls triggered
# tf.function retracing") carry addresses and timings and mean nothing to a learner;
# errors still show.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

__version__ = "0.1.0"
