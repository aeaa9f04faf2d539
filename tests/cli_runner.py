"""Run the gutskin command line in-process, the way the console script runs it.

A subprocess costs a fresh interpreter, imports of numpy/pandas/pydantic and a reload of the knowledge base and
references (about 1.5 s each, far more on a busy machine). Tests that check what a command prints, writes and exits
with go through `gutskin.cli.main` here instead: the same entry point the console script calls, so the one-line error
formatting and exit codes are the real ones. Tests that check process behaviour (signals, the console script itself,
output when a process is killed) keep using subprocess.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path


class _Stream(io.TextIOWrapper):
    """A text stream with a `.buffer`, so commands that write bytes to stdout work as with a pipe."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", newline="\n", write_through=True)

    def isatty(self) -> bool:  # like a pipe: no colours, no progress bars
        return False

    def value(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8", errors="replace")


@contextlib.contextmanager
def _environment(cwd: Path | None, env: Mapping[str, str] | None) -> Iterator[None]:
    old_cwd = Path.cwd()
    old_env = dict(os.environ)
    try:
        if cwd is not None:
            os.chdir(cwd)
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        yield
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)


def run_gutskin(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None,
                input: str | None = None) -> subprocess.CompletedProcess:
    """`gutskin ARGS...` in this process; returns what subprocess.run(..., text=True) would."""
    from gutskin.cli import main

    argv = [str(a) for a in args]
    out, err = _Stream(), _Stream()
    stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8")
    code = 0
    saved = sys.stdin
    with _environment(cwd, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        sys.stdin = stdin
        try:
            main(argv)
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:  # sys.exit("message") prints the message and exits 1
                print(exc.code, file=sys.stderr)
                code = 1
        finally:
            sys.stdin = saved
    return subprocess.CompletedProcess(["gutskin", *argv], code, out.value(), err.value())
