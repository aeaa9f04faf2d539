"""The one exception type for bad input, and how it is printed.

Every reader, loader and validator raises :class:`InputError` for input it cannot accept.
The CLI turns it into a single line on stderr and exit status 2, so a user sees *which file*,
*which line or field*, and *what was expected*, never a traceback.
"""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """Input that gutskin refuses, with enough context to fix it.

    Parameters
    ----------
    message:
        What is wrong and what was expected, in one sentence.
    path:
        The file concerned, if any.
    line:
        1-based line number, if the problem is on one line.
    field:
        Column, key or option name, if the problem is one field.
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.path:
            where.append(self.path if self.line is None else f"{self.path}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        text = " ".join(self.message.split())  # one line, whatever the message held
        return f"{prefix}: {text}" if prefix else text

    def at(self, path: str | PathLike[str]) -> InputError:
        """The same error, attributed to ``path`` when it had no file yet."""
        if self.path is None:
            self.path = str(path)
            self.args = (self.one_line(),)
        return self


class RefusedError(ValueError):
    """A number gutskin will not compute for this input, with the reason.

    Distinct from :class:`InputError`: the input is valid, but the requested quantity would be
    meaningless or unreliable for it (for example Chao1 on proportions).
    """


class OutputError(InputError):
    """An output that cannot be written (missing folder, disk full, permission).

    A kind of :class:`InputError` because the cure is the same: the user fixes a path or the disk, and the
    CLI prints one line and exits 2. The previous file at that path, if any, is left unchanged.
    """
