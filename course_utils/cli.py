"""The ``functional-keras-course`` command (also ``python -m course_utils``).

Four subcommands, each with its own ``--help``:

* ``init [DIR]`` copies the lessons and the exercise handouts into DIR (default
  ``~/functional-keras-course``). Run again, it adds what is missing and brings
  untouched notebooks up to date, but never overwrites a notebook you changed;
* ``lab [DIR]`` runs ``init`` when needed, then starts JupyterLab on lesson 00 and
  prints its URL;
* ``check`` runs lesson 00's set-up check in the terminal, with the exact fixes;
* ``grade …`` is the classroom grader (``python -m course_utils.grade``).

Example:
    $ functional-keras-course init ~/course
    $ functional-keras-course lab ~/course --port 8890 --no-browser
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.locations import CourseFilesMissing, course_folder
from course_utils.numerics import kernel_environment
from course_utils.terminal import quiet_when_cut_short

__all__ = ["InitReport", "UsageProblem", "init_course", "main"]

PROG = "functional-keras-course"
DEFAULT_FOLDER = Path("~") / "functional-keras-course"
#: The folders ``init`` copies; the solutions stay inside the package, where the checks read them.
COPIED_FOLDERS = ("notebooks", "exercises")
START_PAGE = "notebooks/00_welcome.ipynb"
MANIFEST = ".functional-keras-course.json"


class UsageProblem(Exception):
    """A problem the user can fix (a bad folder, a busy port): printed as one message, never a traceback."""


# ------------------------------------------------------------------ init
@dataclass
class InitReport:
    """What ``init`` did to each notebook, by path relative to the course folder."""

    folder: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.added:
            out.append(f"Copied {len(self.added)} notebook(s) into {self.folder}.")
        if self.updated:
            out.append(f"Brought {len(self.updated)} notebook(s) you had not changed up to date: {', '.join(self.updated)}.")
        if self.kept:
            out.append(f"Kept {len(self.kept)} notebook(s) you changed, as they are: {', '.join(self.kept)}.")
            out.append("  (To get the course's version of one, rename or delete yours and run init again.)")
        if not (self.added or self.updated or self.kept):
            out.append(f"{self.folder} already has every notebook of the course; nothing to do.")
        return out


def init_course(folder: str | Path | None = None) -> InitReport:
    """Copy the course's lessons and exercise handouts into ``folder``, keeping the learner's changes.

    A notebook is replaced only when it is byte for byte what an earlier ``init`` copied
    there (the learner has not touched it) and the course's version is newer; a notebook
    that was changed, or was there before, is kept and listed in ``report.kept``.

    Example:
        >>> report = init_course(tmp)                  # doctest: +SKIP
        >>> len(report.added)                          # doctest: +SKIP
        26
    """
    target = _usable_folder(folder)
    source = course_folder()
    manifest_path = target / MANIFEST
    copied = _read_manifest(manifest_path)
    report = InitReport(target)
    for name in COPIED_FOLDERS:
        (target / name).mkdir(exist_ok=True)
        for path in sorted((source / name).glob("*.ipynb")):
            relative = f"{name}/{path.name}"
            destination = target / relative
            wanted = _sha256(path)
            if not destination.exists():
                _copy_atomically(path, destination)
                report.added.append(relative)
            else:
                present = _sha256(destination)
                if present == wanted:
                    report.current.append(relative)
                elif copied.get(relative) == present:
                    _copy_atomically(path, destination)
                    report.updated.append(relative)
                else:
                    report.kept.append(relative)
                    continue
            copied[relative] = wanted
    _write_manifest(manifest_path, copied)
    return report


def _usable_folder(folder: str | Path | None) -> Path:
    target = Path(folder if folder is not None else DEFAULT_FOLDER).expanduser()
    if target.exists() and not target.is_dir():
        raise UsageProblem(f"{target} is a file, not a folder. Name a folder for the course: {PROG} init ~/functional-keras-course")
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=target, prefix=".write-test-", delete=True)
        probe.close()
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageProblem(
            f"Cannot write the course into {target} ({reason}). Choose a folder you own, for example: "
            f"{PROG} init ~/functional-keras-course"
        ) from None
    return target.resolve()


def _read_manifest(path: Path) -> dict[str, str]:
    """Which hash each notebook had when init copied it. A missing or damaged manifest means: none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("copied") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def _write_manifest(path: Path, copied: dict[str, str]) -> None:
    text = json.dumps({"about": f"written by `{PROG} init`: the notebooks it copied, as it copied them", "copied": copied}, indent=1, sort_keys=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _copy_atomically(source: Path, destination: Path) -> None:
    temporary = destination.with_name(f".{destination.name}.tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, destination)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ lab
def _free(ip: str, port: int) -> bool:
    """Whether JupyterLab could listen on ``ip:port`` now."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise UsageProblem(
                f"Cannot listen on {ip} ({error.strerror}): use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)."
            ) from None
    return True


def _choose_port(ip: str, port: int | None, folder: str | None = None) -> tuple[int, str]:
    """The port to listen on, and a note when it is not the one asked for."""
    try:
        socket.getaddrinfo(ip, None)
    except (OSError, UnicodeError):
        raise UsageProblem(f"--ip {ip} is not an address; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).") from None
    if port is not None:
        if not 1 <= port <= 65535:
            raise UsageProblem(f"--port {port} is not a port number; use one from 1024 to 65535, for example --port 8890.")
        if not _free(ip, port):
            raise UsageProblem(
                f"Port {port} on {ip} is busy (another JupyterLab or program is using it). "
                f"Stop that program, or choose another port: {PROG} lab {folder + ' ' if folder else ''}--port {port + 1}"
            )
        return port, ""
    for candidate in range(8888, 8988):
        if _free(ip, candidate):
            return candidate, "" if candidate == 8888 else f"Port 8888 is busy; using {candidate} instead."
    raise UsageProblem(f"Ports 8888–8987 on {ip} are all busy; choose a free one with --port.")


def _kernel_folder(into: Path) -> Path:
    """A Jupyter data folder whose ``python3`` kernel is this interpreter with the course's settings.

    Put first on ``JUPYTER_PATH``, it wins over a user-wide ``python3`` kernel that may
    belong to another Python.
    """
    spec = into / "kernels" / "python3"
    spec.mkdir(parents=True)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (Functional Keras course)",
        "language": "python",
        "env": kernel_environment(),
        "metadata": {"debugger": True},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1) + "\n", encoding="utf-8")
    return into


def _lab(args: argparse.Namespace) -> int:
    try:
        import jupyterlab  # noqa: F401  (only: is it installed?)
    except ImportError:
        raise UsageProblem(f"JupyterLab is not installed in this Python ({sys.executable}). Install it: {sys.executable} -m pip install jupyterlab") from None
    port, note = _choose_port(args.ip, args.port, args.folder)
    report = init_course(args.folder)
    for line in report.lines() if (report.added or report.updated or report.kept) else []:
        print(line)
    folder = report.folder
    dot_note = _dot_problem()
    if dot_note:
        print(dot_note)
    if note:
        print(note)
    token = secrets.token_hex(24)
    host = f"[{args.ip}]" if ":" in args.ip else args.ip
    shown_host = "127.0.0.1" if args.ip in ("0.0.0.0", "::") else host
    url = f"http://{shown_host}:{port}/lab/tree/{START_PAGE}?token={token}"
    with tempfile.TemporaryDirectory(prefix="functional-keras-course-") as scratch:
        env = dict(os.environ, **kernel_environment())
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(_kernel_folder(Path(scratch))), os.environ.get("JUPYTER_PATH")]))
        command = [
            sys.executable, "-m", "jupyterlab",
            f"--ip={args.ip}", f"--port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={folder}", f"--LabApp.default_url=/lab/tree/{START_PAGE}",
            f"--IdentityProvider.token={token}",
        ]
        if args.no_browser:
            command.append("--no-browser")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        print(f"Starting JupyterLab on {folder} (Ctrl-C stops it). The course opens at:\n\n    {url}\n", flush=True)
        server = subprocess.Popen(command, env=env)
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            print("JupyterLab stopped.")
            return 0


def _dot_problem() -> str:
    """A note when Graphviz's ``dot`` is missing: the course still runs, but shows graphs as text."""
    from course_utils.environment import check_dot

    check = check_dot()
    if check.ok:
        return ""
    return f"Note: Graphviz's `dot` is {check.detail}, so lessons will show each model's graph as text only.\n  fix: {check.fix}"


# ------------------------------------------------------------------ check, grade
def _check(args: argparse.Namespace) -> int:
    from course_utils.environment import check_environment

    report = check_environment()
    print(repr(report))
    return 0 if report.ok else 1


def _grade(rest: Sequence[str]) -> int:
    # As in `python -m course_utils.grade`: the grading process judges small models one at a
    # time while the kernels train, so one TensorFlow thread each way, set before TF starts
    # (one intra-op thread is the course's numeric pin already, see course_utils.numerics).
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    from course_utils.grade.cli import main as grade_main

    return grade_main(list(rest), prog=f"{PROG} grade")


# ------------------------------------------------------------------ the command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The Functional Keras course: copy it into a folder, open it in JupyterLab, check your set-up, grade a class.",
        epilog=f"Start here:  {PROG} lab        (copies the course into ~/functional-keras-course and opens lesson 00)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    init = commands.add_parser(
        "init", help="copy the lessons and exercises into a folder",
        description="Copy the lessons (notebooks/) and the exercise handouts (exercises/) into FOLDER. Run again, it adds "
        "what is missing and updates notebooks you have not changed; a notebook you changed is never overwritten.",
    )
    init.add_argument("folder", nargs="?", metavar="FOLDER", help=f"where to put the course (default: {DEFAULT_FOLDER})")
    lab = commands.add_parser(
        "lab", help="open the course in JupyterLab",
        description="Copy the course into FOLDER when needed (as init does), then start JupyterLab on lesson 00 and print its URL.",
    )
    lab.add_argument("folder", nargs="?", metavar="FOLDER", help=f"the course folder (default: {DEFAULT_FOLDER})")
    lab.add_argument("--port", type=int, help="port to listen on (default: 8888, or the next free one)")
    lab.add_argument("--ip", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser; just print the URL")
    commands.add_parser(
        "check", help="check that everything the course needs is installed",
        description="Lesson 00's set-up check, in the terminal: Python, TensorFlow, Keras, Graphviz (package and `dot`), "
        "widgets and matplotlib, with the exact fix for anything missing. Exit status 1 if something is.",
    )
    commands.add_parser(
        "grade", help="grade a folder of submitted exercise notebooks", add_help=False,
        description="The classroom grader; see `functional-keras-course grade --help`.",
    )
    return parser


@quiet_when_cut_short
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 a problem found, 2 a usage error)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["grade"]:
        return _grade(arguments[1:])  # the grader parses (and documents) its own options
    parser = _parser()
    args = parser.parse_args(arguments)
    try:
        if args.command == "init":
            report = init_course(args.folder)
            print("\n".join(report.lines()))
            print(f"Next: {PROG} lab {_shown(report.folder)}")
            return 0
        if args.command == "lab":
            return _lab(args)
        if args.command == "check":
            return _check(args)
        parser.print_help()
        return 2
    except (UsageProblem, CourseFilesMissing) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2


def _shown(folder: Path) -> str:
    """``folder`` as the user would type it: under ``~`` when it is in the home folder."""
    try:
        return str(Path("~") / folder.relative_to(Path.home()))
    except ValueError:
        return str(folder)


if __name__ == "__main__":
    sys.exit(main())
