"""Opening input files: transparent gzip/bz2, binary detection, and a cheap peek for format sniffing."""

from __future__ import annotations

import bz2
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

PEEK_BYTES = 64 * 1024


def _raw_head(path: Path, n: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory; expected a profile file", path) from None
    except PermissionError:
        raise InputError("cannot read the file (permission denied)", path) from None


def compression(path: Path) -> str | None:
    head = _raw_head(path, 4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZ2_MAGIC):
        return "bz2"
    return None


def open_binary(path: str | Path) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, decompressing gzip or bz2 by content."""
    path = Path(path)
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_bytes(path: str | Path) -> bytes:
    try:
        with open_binary(path) as fh:
            return fh.read()
    except (OSError, EOFError) as exc:  # truncated or corrupt compressed stream
        raise InputError(f"cannot decompress ({exc}); the file looks truncated or corrupt", path) from None


def read_text(path: str | Path) -> str:
    """Whole file as text (UTF-8, BOM stripped), refusing binary content with a clear message."""
    data = read_bytes(path)
    if b"\x00" in data[:PEEK_BYTES]:
        raise InputError("binary content where a text table was expected", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
            raise InputError("not UTF-8 or Latin-1 text", path) from None
    return text.lstrip("\ufeff")


@dataclass(frozen=True)
class Peek:
    """The first bytes of a file (after decompression) and its first text lines, for sniffing."""

    path: Path
    head: bytes
    compressed: str | None

    @property
    def is_binary(self) -> bool:
        return b"\x00" in self.head

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace").lstrip("\ufeff")

    @property
    def lines(self) -> list[str]:
        lines = self.text.splitlines()
        # the last line of a peek may be cut mid-way; keep it only if the whole file fit
        if len(self.head) >= PEEK_BYTES and lines:
            lines = lines[:-1]
        return lines

    def data_lines(self) -> list[str]:
        """Non-empty lines that are not '#' comments."""
        return [ln for ln in self.lines if ln.strip() and not ln.startswith("#")]


def peek(path: str | Path) -> Peek:
    path = Path(path)
    kind = compression(path)
    try:
        with open_binary(path) as fh:
            head = fh.read(PEEK_BYTES)
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot decompress ({exc}); the file looks truncated or corrupt", path) from None
    return Peek(path=path, head=head, compressed=kind)
