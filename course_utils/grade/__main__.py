"""``python -m course_utils.grade SUBMISSIONS --out OUT`` (see :mod:`course_utils.grade.cli`)."""

import os
import sys

# The grading process only judges small exported models, one at a time, while the
# kernels train: one TensorFlow thread each way is enough and leaves the cores to them
# (one intra-op thread is also the course's numeric pin, set by importing course_utils).
# Set here, in the command's own process, before TensorFlow starts; not in main(),
# which may run inside another program whose TensorFlow (and child kernels) it would change.
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

from course_utils.grade.cli import main  # noqa: E402

status = main()
# Every file is written and fsynced, the pool is shut down and the atexit handlers have
# nothing left to do: skip tearing down TensorFlow's modules at exit (about 1.2 s of
# CPU after the last row, in every run).
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
