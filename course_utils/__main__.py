"""``python -m course_utils``: the same as the ``functional-keras-course`` command (see :mod:`course_utils.cli`)."""

import sys

from course_utils.cli import main

sys.exit(main())
