"""The numeric set-up of every course kernel, and how fresh numbers are compared with stored ones.

A lesson prints losses and accuracies that a learner's fresh run is promised to repeat. Two
x86-64 machines give the same floats only if TensorFlow takes the same arithmetic path on
both. Measured (closing note of issue 18), three things choose that path at run time:

* **the instruction set oneDNN's matrix kernels use.** Even with ``TF_ENABLE_ONEDNN_OPTS=0``,
  TensorFlow multiplies matrices with oneDNN's ``sgemm``, which picks an SSE4.1, AVX, AVX2 or
  AVX-512 kernel for the CPU it finds; each sums in another order. ``ONEDNN_MAX_CPU_ISA=AVX2``
  caps it at the AVX2 kernel, which every x86-64 CPU of the last decade has;
* **the number of threads an operation is split over** (``TF_NUM_INTRAOP_THREADS``). By
  default TensorFlow uses one per core, so a 1-core and a 2-core machine add partial sums in
  other orders. The course's models are tiny: one thread is as fast here (see
  ``benchmarks/notebooks.py --numerics``), and makes the core count irrelevant;
* the quiet start-up of ``TF_CPP_MIN_LOG_LEVEL=2`` and ``TF_ENABLE_ONEDNN_OPTS=0`` (TensorFlow's
  banner off; its oneDNN graph rewrites off, which change low bits too).

:func:`kernel_environment` is that set-up, in this one place; ``make kernel``,
``functional-keras-course lab``, the grader's kernels, nbval runs and
``python -m course_utils.notebooks`` all take it from here, and ``import course_utils`` sets
whatever of it is not set yet (before TensorFlow starts).

What cannot be pinned: another processor family (Apple silicon, ARM Linux), another build of
TensorFlow (Windows' is compiled by another compiler), an x86-64 CPU without AVX2, and the size
of the L1 data cache. TensorFlow cuts its matrix products into blocks whose depth Eigen derives
from the L1 data cache it reads from the CPU (``computeProductBlockingSizes``), and the depth of
a block decides the order of the additions; no setting overrides it. The outputs are stored on
CPUs with 32 KiB (AMD Zen 1-4, Intel before Ice Lake); Intel since Ice Lake and AMD Zen 5 have
48 KiB. On all of these a fresh run may compute slightly different floats, so
:func:`comparison_mode` switches nbval to comparing the *numbers* of text outputs within
:data:`TOLERANCE`; every other character
(shapes, parameter counts, graph text forms, messages) is still compared exactly
(:func:`numbers_agree`).

Example:
    >>> kernel_environment(machine="x86_64")["ONEDNN_MAX_CPU_ISA"]
    'AVX2'
    >>> numbers_agree("loss 0.414  accuracy 0.967", "loss 0.417  accuracy 0.958")
    True
    >>> numbers_agree("loss 0.414", "loss 0.514")
    False
    >>> numbers_agree("(None, 8, 8, 16)", "(None, 8, 8, 15)")   # whole numbers stay exact
    False
"""

from __future__ import annotations

import math
import os
import platform
import re
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "COMPARISON_VARIABLE",
    "PINNED",
    "QUIET",
    "REFERENCE_L1_DATA_CACHE",
    "TOLERANCE",
    "ComparisonMode",
    "Tolerance",
    "apply_kernel_environment",
    "comparison_mode",
    "ipykernel_env_arguments",
    "kernel_environment",
    "l1_data_cache",
    "number_differences",
    "numbers_agree",
]

#: TensorFlow's quiet start-up: no banner lines in any output, and no oneDNN graph rewrites.
QUIET: dict[str, str] = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}

#: What fixes the arithmetic path on every x86-64 CPU with AVX2 and a 32 KiB L1 data cache (Intel
#: or AMD, AVX2 or AVX-512, any number of cores). ``ONEDNN_MAX_CPU_ISA`` is x86-only, so other
#: machines get only the threads.
PINNED: dict[str, str] = {"ONEDNN_MAX_CPU_ISA": "AVX2", "TF_NUM_INTRAOP_THREADS": "1"}

#: Set to ``exact`` or ``tolerant`` to choose the comparison mode of an nbval run by hand.
COMPARISON_VARIABLE = "COURSE_OUTPUT_COMPARISON"

_X86_64 = {"x86_64", "amd64", "x64"}
#: The L1 data cache of the machines the outputs are stored on (bytes per core).
REFERENCE_L1_DATA_CACHE = 32 * 1024


def kernel_environment(machine: str | None = None) -> dict[str, str]:
    """The environment variables every course kernel starts with (``machine``: default, this one's).

    >>> sorted(kernel_environment(machine="arm64"))
    ['TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS', 'TF_NUM_INTRAOP_THREADS']
    """
    machine = (machine or platform.machine()).lower()
    pinned = dict(PINNED)
    if machine not in _X86_64:
        pinned.pop("ONEDNN_MAX_CPU_ISA")
    return {**QUIET, **pinned}


def apply_kernel_environment(environ: MutableMapping[str, str] | None = None) -> None:
    """Set every variable of :func:`kernel_environment` that ``environ`` (default ``os.environ``) lacks.

    Values already set are kept: whoever sets ``ONEDNN_MAX_CPU_ISA=SSE41`` asked for it. It must
    run before TensorFlow starts, as ``import course_utils`` does.

    >>> env = {"TF_NUM_INTRAOP_THREADS": "4"}
    >>> apply_kernel_environment(env)
    >>> env["TF_NUM_INTRAOP_THREADS"], env["TF_CPP_MIN_LOG_LEVEL"]
    ('4', '2')
    """
    environ = os.environ if environ is None else environ
    for key, value in kernel_environment().items():
        environ.setdefault(key, value)


# ------------------------------------------------------------------ comparing numbers
@dataclass(frozen=True)
class Tolerance:
    """Two printed decimals agree when ``|a - b| <= absolute + relative * max(|a|, |b|)``.

    A number printed with an exponent (``1.2e-03``) is read in its own units: the absolute part is
    scaled by its power of ten (``scale``), so tiny gradients are not all "within 0.02" of each other.
    """

    absolute: float
    relative: float

    def allows(self, a: float, b: float, scale: float = 1.0) -> bool:
        """Whether ``a`` and ``b`` agree.

        >>> TOLERANCE.allows(0.414, 0.420), TOLERANCE.allows(0.414, 0.500)
        (True, False)
        >>> TOLERANCE.allows(1.2e-3, 1.5e-3, scale=1e-3)
        False
        """
        return abs(a - b) <= self.absolute * scale + self.relative * max(abs(a), abs(b))

    def __str__(self) -> str:
        return f"|a - b| <= {self.absolute:g} + {self.relative:g} * max(|a|, |b|)"


#: The one tolerance of the course (README, "How the course is tested"). Lessons print metrics with
#: three decimals; a run on another processor family drifts in the third decimal after a few epochs.
TOLERANCE = Tolerance(absolute=0.02, relative=0.02)

# A decimal number: digits, a point, digits (optionally an exponent), or digits with an exponent.
# Whole numbers (shapes, counts, epochs, parameter counts) are not matched: they stay exact.
_DECIMAL = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?![\w.])")


def number_differences(reference: str, fresh: str, tolerance: Tolerance = TOLERANCE) -> list[tuple[str, str]] | None:
    """The printed decimals of ``fresh`` that differ from ``reference`` beyond ``tolerance``.

    Returns ``None`` when the two texts differ in anything but decimal numbers (other words,
    whole numbers, another count of numbers): then they cannot agree at any tolerance.

    >>> number_differences("acc 0.91, 3 layers", "acc 0.99, 3 layers")
    [('0.91', '0.99')]
    >>> number_differences("acc 0.91, 3 layers", "acc 0.91, 4 layers") is None
    True
    """
    if _DECIMAL.split(reference) != _DECIMAL.split(fresh):
        return None
    far = []
    for a, b in zip(_DECIMAL.findall(reference), _DECIMAL.findall(fresh), strict=True):
        x, y = float(a), float(b)
        if math.isnan(x) and math.isnan(y):
            continue
        exponent = re.search(r"[eE]([-+]?\d+)$", a)
        scale = 10.0 ** int(exponent.group(1)) if exponent else 1.0
        if not tolerance.allows(x, y, scale):
            far.append((a, b))
    return far


def numbers_agree(reference: str, fresh: str, tolerance: Tolerance = TOLERANCE) -> bool:
    """Whether ``fresh`` equals ``reference`` with every decimal number within ``tolerance``."""
    return reference == fresh or number_differences(reference, fresh, tolerance) == []


# ------------------------------------------------------------------ which comparison a run uses
@dataclass(frozen=True)
class ComparisonMode:
    """How an nbval run compares fresh outputs with stored ones, and why."""

    name: str  # "exact" or "tolerant"
    reason: str

    @property
    def tolerant(self) -> bool:
        return self.name == "tolerant"

    def header(self) -> str:
        """The line a test run prints at its top."""
        if self.tolerant:
            return f"course outputs: tolerant comparison of decimal numbers ({TOLERANCE}), all else exact — {self.reason}"
        return f"course outputs: exact comparison — {self.reason}"


def _cpu_has_avx2() -> bool:
    try:  # NumPy reads the CPU's features on every operating system
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover - another NumPy layout
        return False
    return bool(features.get("AVX2") and features.get("FMA3"))


def l1_data_cache() -> int | None:
    """The L1 data cache of this machine's first CPU in bytes, as Linux reports it (``None`` if it does not).

    >>> l1_data_cache() in (None, 32768, 49152) or l1_data_cache() > 0
    True
    """
    caches = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(caches.glob("index*")):
        try:
            level, kind, size = ((index / name).read_text().strip() for name in ("level", "type", "size"))
        except OSError:
            continue
        if level == "1" and kind == "Data":
            units = {"K": 1024, "M": 1024 * 1024}
            return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
    return None


def comparison_mode(environ: MutableMapping[str, str] | None = None) -> ComparisonMode:
    """Exact where the pins of :func:`kernel_environment` give the stored floats, tolerant elsewhere.

    Exact needs Linux on x86-64 with AVX2, a 32 KiB L1 data cache and the pinned values in effect
    (the stored outputs were made there); ``COURSE_OUTPUT_COMPARISON=exact`` or ``=tolerant`` overrides.

    >>> comparison_mode({"COURSE_OUTPUT_COMPARISON": "tolerant"}).name
    'tolerant'
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get(COMPARISON_VARIABLE, "").strip().lower()
    if chosen in ("exact", "tolerant"):
        return ComparisonMode(chosen, f"chosen by {COMPARISON_VARIABLE}={chosen}")
    if chosen:
        raise ValueError(f"{COMPARISON_VARIABLE} must be 'exact' or 'tolerant', not {chosen!r}")
    machine = platform.machine().lower()
    if not sys.platform.startswith("linux") or machine not in _X86_64:
        return ComparisonMode("tolerant", f"{platform.system()} on {machine}: the outputs were stored on Linux x86-64")
    if not _cpu_has_avx2():
        return ComparisonMode("tolerant", "this x86-64 CPU has no AVX2: the outputs were stored with AVX2 arithmetic")
    l1 = l1_data_cache()
    if l1 != REFERENCE_L1_DATA_CACHE:
        seen = "unknown" if l1 is None else f"{l1 // 1024} KiB"
        return ComparisonMode(
            "tolerant",
            f"L1 data cache {seen}: TensorFlow sizes its matrix blocks from it, and the outputs were stored with "
            f"{REFERENCE_L1_DATA_CACHE // 1024} KiB",
        )
    changed = [
        f"{key}={environ[key]}" for key, value in kernel_environment().items() if environ.get(key, value) != value
    ]
    if changed:
        return ComparisonMode("tolerant", f"not the course's numeric set-up: {', '.join(changed)}")
    pins = ", ".join(f"{key}={value}" for key, value in PINNED.items())
    return ComparisonMode("exact", f"Linux x86-64 with AVX2 and a 32 KiB L1 data cache, pinned {pins}")



def ipykernel_env_arguments() -> str:
    """The set-up as ``--env NAME VALUE`` arguments of ``python -m ipykernel install`` (``make kernel``).

    >>> ipykernel_env_arguments().startswith("--env TF_CPP_MIN_LOG_LEVEL 2 --env TF_ENABLE_ONEDNN_OPTS 0")
    True
    """
    return " ".join(f"--env {key} {value}" for key, value in kernel_environment().items())
