# Two commands matter to a learner:  make lab   and   make test.
# Every target is idempotent: a second run finds the stamps and reinstalls nothing.

# The course supports Python 3.11, 3.12 and 3.13. Without PYTHON=..., make takes the newest of
# python3.13, python3.12, python3.11 that really starts: a pyenv shim can sit on the PATH and still
# answer "command not found", so each candidate is run, not just looked up.
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
PYTHON_OK         := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,$(SUPPORTED_PYTHONS),$(shell $(p) -c '$(PYTHON_OK)' >/dev/null 2>&1 && echo $(p))))
endif
VENV        ?= .venv
VPY         := $(VENV)/bin/python
STAMP       := $(VENV)/.requirements-installed
KERNEL_JSON := $(VENV)/share/jupyter/kernels/python3/kernel.json
# Our venv's kernels come first, even when a user-wide "python3" kernel exists.
export JUPYTER_PATH := $(abspath $(VENV))/share/jupyter
# Every Python started here imports course_utils first, which gives TensorFlow the course's
# quiet, pinned numeric set-up (course_utils/numerics.py); the kernel gets the same below.

LAB_PORT    ?= 8888
LAB_IP      ?= 127.0.0.1
START_PAGE  := notebooks/00_welcome.ipynb
SUBMISSIONS ?= submissions
OUT         ?= gradebook

.PHONY: lab test setup dot kernel browser unit notebooks exercises benchmarks grade clean help

help:
	@echo "make lab    set everything up, then open the course in JupyterLab"
	@echo "make test   set everything up, then run the whole test suite"
	@echo "make benchmarks   print the benchmark tables"
	@echo "make grade SUBMISSIONS=folder OUT=folder   grade submitted exercise notebooks"

setup: $(STAMP) dot kernel

# make is for Linux and macOS; Windows installs the course as a package (README, "Install as a package").
# TensorFlow 2.21 has no wheel for Intel Macs, nor for x86-64 Python under Rosetta on Apple silicon:
# there we stop at once, with one line that says what works (the line of `functional-keras-course
# check`), not pip's error. UNAME_S / UNAME_M stand in for `uname -s` / `uname -m` (tests/test_platforms.py).
PLATFORM_CHECK = case "$(or $(UNAME_S),$$(uname -s))/$(or $(UNAME_M),$$(uname -m))" in \
  Darwin/x86_64) if [ "$$(sysctl -n sysctl.proc_translated 2>/dev/null)" = 1 ]; then \
      echo "This terminal runs as x86-64 under Rosetta on an Apple-silicon Mac, and TensorFlow 2.21 has no wheel for that: run arch -arm64 make lab, with a native arm64 python3."; \
    else \
      echo "macOS on Intel (x86-64) is not supported: TensorFlow 2.21 has no wheel for Intel Macs. The course runs on an Apple-silicon Mac, on Linux (x86-64, ARM64) or Windows (x86-64), in a Linux container (Docker), or on a JupyterHub or Binder."; \
    fi; exit 1;; \
  MINGW*|MSYS*|CYGWIN*|Windows*) \
    echo "make is for Linux and macOS. On Windows, pip install the course into a virtual environment and run functional-keras-course lab (README, Install as a package)."; exit 1;; \
esac

$(VPY):
	@$(PLATFORM_CHECK)
	@if [ -z "$(PYTHON)" ]; then \
	  echo "The course needs Python 3.11, 3.12 or 3.13, and none of python3.13, python3.12, python3.11 runs here."; \
	  echo "  apt:   apt-get install python3.12 python3.12-venv   (or python3.11 / python3.13)"; \
	  echo "  brew:  brew install python@3.13"; \
	  echo "  conda: conda create -n course python=3.12 && conda activate course"; \
	  echo "Then run make again, or point at one: make PYTHON=/path/to/python3.12 ..."; exit 1; \
	fi
	@$(PYTHON) -c '$(PYTHON_OK)' >/dev/null 2>&1 || { \
	  echo "'$(PYTHON)' does not run, or is not Python 3.11, 3.12 or 3.13:"; \
	  $(PYTHON) --version 2>&1 | sed 's/^/  /'; \
	  echo "Point at a supported interpreter: make PYTHON=/path/to/python3.12 ..."; exit 1; }
	@echo "Creating $(VENV) with $$($(PYTHON) --version 2>&1) ($(PYTHON)) ..."
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt pyproject.toml | $(VPY)
	@$(PLATFORM_CHECK)
	$(VPY) -m pip install --quiet -r requirements.txt
	@touch $@

# Graphviz's `dot` draws the model graphs. Installed with apt when we are root;
# otherwise we say exactly what to run.
dot:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Graphviz (apt.txt) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$(cat apt.txt) >/dev/null; \
	else \
	  echo "Graphviz's 'dot' program is missing; the course draws every model with it. Install it with one of:"; \
	  echo "  apt:   sudo apt-get install graphviz"; \
	  echo "  brew:  brew install graphviz"; \
	  echo "  conda: conda install -c conda-forge graphviz"; \
	  exit 1; \
	fi

# The course kernel is registered as the venv's "python3", the kernel name every
# notebook asks for, so lessons open with it here and on Binder alike.
kernel: $(KERNEL_JSON)

$(KERNEL_JSON): $(STAMP) course_utils/numerics.py
	$(VPY) -m ipykernel install --prefix $(VENV) --name python3 \
	  --display-name "Python 3 (Functional Keras course)" \
	  $$($(VPY) -c 'from course_utils.numerics import ipykernel_env_arguments as a; print(a())') >/dev/null
	@echo "Registered the course kernel in $(VENV)."

lab: setup
	@echo "Starting JupyterLab; open the URL printed below (the course starts at $(START_PAGE))."
	$(VPY) -m jupyterlab --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) \
	  $$( [ "$$(id -u)" = "0" ] && echo --allow-root ) \
	  --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/$(START_PAGE)

test: setup browser
	$(VPY) -m pytest -n 2 --dist loadfile

# Chromium, for the browser tests only (tests/test_browser.py drives it with Playwright; learners
# do not need it, so it is not in apt.txt). Installed with apt when we are root; otherwise we say how.
export CHROMIUM_PATH ?= /usr/bin/chromium
browser:
	@if [ -x "$(CHROMIUM_PATH)" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser tests ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "The browser tests need Chromium ($(CHROMIUM_PATH) is missing); they will fail until you run:"; \
	  echo "  apt:   sudo apt-get install chromium"; \
	  echo "  or:    make test CHROMIUM_PATH=/path/to/chromium-or-chrome"; \
	fi

unit: setup
	$(VPY) -m pytest tests

notebooks: setup
	$(VPY) -m pytest notebooks

# Regenerate exercises/ from solutions/ (the single source).
exercises: $(STAMP)
	$(VPY) -m course_utils.exercises build

# Grade a folder of submitted exercise notebooks (README, "Teaching a class"); more options through
# GRADE_ARGS, e.g. make grade SUBMISSIONS=in OUT=out GRADE_ARGS="--exercise ex01_sequential --workers 2".
grade: setup
	$(VPY) -m course_utils.grade $(SUBMISSIONS) --out $(OUT) $(GRADE_ARGS)

benchmarks: setup
	$(VPY) benchmarks/graph_render.py
	$(VPY) benchmarks/widget_latency.py

clean:
	rm -rf $(VENV)
