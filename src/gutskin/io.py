"""Every byte gutskin reads or writes goes through here.

Reading: transparent gzip/bz2 with *bounded* decompression (a bomb is refused, not expanded), binary
detection, a cheap peek for format sniffing, in-memory sources (an upload read without a temporary file),
and a safe loader for JSON/YAML documents with size, nesting-depth, node-count and text-length limits.

Writing: :func:`atomic_write` (and the :func:`write_atomic` / :func:`atomic_path` shortcuts) is the one way
an output file is written: a temporary file in the target folder, flushed and fsynced, then renamed over the
target, so a target is either the old file or the complete new one. The temporary file is removed on any
failure, including Ctrl-C and SIGTERM (while writing from the main thread). Outputs get the user's umask
(or keep the permissions of the file they replace), not the 0600 of a temporary file.

Failures on bad input raise :class:`~gutskin.errors.InputError` naming the file; failures writing raise
:class:`~gutskin.errors.OutputError` (a kind of InputError: one line, exit 2).
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import gzip
import io
import json
import lzma
import os
import re
import signal
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from .errors import InputError, OutputError

GZIP_MAGIC = b"\x1f\x8b"
BZ2_MAGIC = b"BZh"
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

PEEK_BYTES = 64 * 1024
CHUNK = 1024 * 1024

#: exceptions a damaged compressed stream can raise from the standard library
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)


# ------------------------------------------------------------------------------------------------ limits

@dataclass(frozen=True)
class Limits:
    """Input limits. Defaults suit any real profile; a face may raise them (``configure``)."""

    #: decompressed size of one gzip/bz2 input, or of one member of a .qza archive
    max_decompressed_bytes: int = 2 * 1024**3
    #: decompressed/compressed ratio refused once the output is past ``ratio_floor_bytes``
    max_ratio: float = 50.0
    ratio_floor_bytes: int = 100 * 1024**2
    #: a questionnaire, plan or other small JSON/YAML document
    max_document_bytes: int = 1024**2
    #: metadata.yaml / VERSION inside a .qza (QIIME 2 writes a few hundred bytes)
    max_archive_metadata_bytes: int = 1024**2
    max_depth: int = 32
    max_nodes: int = 200_000
    #: one text value in a questionnaire, plan or diary cell (a food name, a note)
    max_text_chars: int = 10_000


_LIMITS = Limits()


def limits() -> Limits:
    return _LIMITS


def configure(**changes: Any) -> Limits:
    """Change the process-wide input limits (faces only; e.g. a server with more memory)."""
    global _LIMITS
    _LIMITS = replace(_LIMITS, **changes)
    return _LIMITS


def _human(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


# ------------------------------------------------------------------------------------------------ in-memory

# name → bytes of sources read from memory (an upload); a ContextVar so concurrent requests never mix
_MEMORY: ContextVar[dict[str, bytes] | None] = ContextVar("gutskin_memory_sources", default=None)


@contextlib.contextmanager
def in_memory(name: str, data: bytes) -> Iterator[Path]:
    """Within the block, ``Path(name)`` reads as ``data`` everywhere in this module."""
    current = dict(_MEMORY.get() or {})
    current[str(Path(name))] = bytes(data)
    token = _MEMORY.set(current)
    try:
        yield Path(name)
    finally:
        _MEMORY.reset(token)


def memory_bytes(path: str | Path) -> bytes | None:
    """The raw (possibly compressed) bytes of an in-memory source, or None for a real file."""
    mem = _MEMORY.get()
    return None if not mem else mem.get(str(Path(path)))


def read_stream(stream: IO[bytes], name: str) -> bytes:
    """All bytes of a binary stream (an upload), refusing text streams and absurd sizes."""
    cap = _LIMITS.max_decompressed_bytes
    chunks, total = [], 0
    while True:
        try:
            chunk = stream.read(CHUNK)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the upload ({exc})", name) from None
        if not chunk:
            break
        if isinstance(chunk, str):
            raise InputError("expected a binary stream (open the file with 'rb')", name)
        total += len(chunk)
        if total > cap:
            raise InputError(f"larger than the {_human(cap)} limit", name)
        chunks.append(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------------------------------------ reading

def _raw_head(path: Path, n: int) -> bytes:
    mem = memory_bytes(path)
    if mem is not None:
        return mem[:n]
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except IsADirectoryError:
        raise InputError("is a directory; expected a file", path) from None
    except PermissionError:
        raise InputError("cannot read the file (permission denied)", path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path) from None


def _raw_size(path: Path) -> int:
    mem = memory_bytes(path)
    if mem is not None:
        return len(mem)
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def compression(path: str | Path) -> str | None:
    head = _raw_head(Path(path), 4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZ2_MAGIC):
        return "bz2"
    return None


class _Bounded(io.RawIOBase):
    """A decompressing reader that refuses to expand past the limits (a gzip/bz2 bomb)."""

    def __init__(self, inner: IO[bytes], path: Path, compressed_size: int) -> None:
        self._inner = inner
        self._path = path
        self._compressed = max(compressed_size, 1)
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(len(buffer))
        except DECOMPRESS_ERRORS as exc:
            raise _corrupt(self._path, exc) from None
        n = len(data)
        buffer[:n] = data
        self._total += n
        check_expansion(self._total, self._compressed, self._path)
        return n

    def close(self) -> None:
        with contextlib.suppress(*DECOMPRESS_ERRORS):
            self._inner.close()
        super().close()


def check_expansion(total: int, compressed: int, path: str | Path, what: str = "decompressed") -> None:
    """Refuse once ``total`` decompressed bytes pass the absolute or the ratio limit."""
    lim = _LIMITS
    if total > lim.max_decompressed_bytes:
        raise InputError(f"{what} size passes the {_human(lim.max_decompressed_bytes)} limit; refusing to "
                         "expand it further (is it a compression bomb?)", path)
    if total > lim.ratio_floor_bytes and total > lim.max_ratio * max(compressed, 1):
        raise InputError(f"{what} to more than {lim.max_ratio:g}× its compressed size "
                         f"({_human(compressed)} → over {_human(total)}); refusing to expand it further "
                         "(is it a compression bomb?)", path)


def _corrupt(path: Path, exc: BaseException) -> InputError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return InputError(f"cannot decompress ({detail}); the file looks truncated or corrupt", path)


def open_binary(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing gzip or bz2 by content, within the limits."""
    path = Path(path)
    kind = compression(path)
    mem = memory_bytes(path)
    raw: IO[bytes] = io.BytesIO(mem) if mem is not None else open(path, "rb")  # noqa: SIM115
    if kind is None:
        return raw
    inner: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if kind == "gzip" else bz2.BZ2File(raw, "rb")
    return io.BufferedReader(_Bounded(inner, path, _raw_size(path)), buffer_size=CHUNK)


def read_bytes(path: str | Path) -> bytes:
    """Whole file, decompressed, within the limits; damage is an InputError naming the file."""
    path = Path(path)
    _raw_head(path, 0)  # clear errors for missing files, folders, permissions
    size = _raw_size(path)
    if size > _LIMITS.max_decompressed_bytes:
        raise InputError(f"the file is {_human(size)}, past the {_human(_LIMITS.max_decompressed_bytes)} limit for "
                         "one input", path)
    try:
        with open_binary(path) as fh:
            return fh.read()
    except InputError:
        raise
    except DECOMPRESS_ERRORS as exc:
        raise _corrupt(path, exc) from None


def decode_text(data: bytes, path: str | Path) -> str:
    """Bytes as text (UTF-8, else Latin-1; BOM stripped), refusing binary content."""
    if b"\x00" in data[:PEEK_BYTES]:
        raise InputError("binary content where a text table was expected", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # decodes any byte; Latin-1 exports exist in the wild
    return text.lstrip("\ufeff")


def read_text(path: str | Path) -> str:
    """Whole file as text (UTF-8, BOM stripped), refusing binary content with a clear message."""
    return decode_text(read_bytes(path), path)


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
    except InputError:
        raise
    except DECOMPRESS_ERRORS as exc:
        raise _corrupt(path, exc) from None
    return Peek(path=path, head=head, compressed=kind)


# ------------------------------------------------------------------------------------------------ documents

def _yaml_loader() -> type:
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    # the C loader composes aliases inside libyaml; the pure loader lets us refuse them at the event level
    class Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "YAML anchors and aliases (& and *) are not "
                                                  "accepted", event.start_mark)
            return super().compose_node(parent, index)

    _LOADER = Loader
    return Loader


_LOADER: type | None = None


def _check_tree(data: Any, path: str | Path | None, *, max_depth: int, max_nodes: int,
                max_text: int | None) -> None:
    """Walk a parsed document iteratively (no recursion) checking depth, size and text lengths."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    nodes = 0
    while stack:
        node, depth, where = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputError(f"more than {max_nodes:,} values; this is not a document gutskin expects", path)
        if depth > max_depth:
            raise InputError(f"nested deeper than {max_depth} levels", path, field=where or None)
        if isinstance(node, dict):
            for k, v in node.items():
                key = str(k)
                if max_text is not None and len(key) > max_text:
                    raise InputError(f"a key longer than {max_text:,} characters", path, field=where or None)
                stack.append((v, depth + 1, f"{where}.{key}" if where else key))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                stack.append((v, depth + 1, f"{where}[{i}]"))
        elif isinstance(node, str) and max_text is not None and len(node) > max_text:
            raise InputError(f"text longer than {max_text:,} characters ({len(node):,})", path,
                             field=where or None)


def _load_yaml(text: str, path: str | Path | None, max_depth: int, max_nodes: int) -> Any:
    """YAML through libyaml when present (the pure-Python scanner takes seconds per megabyte), after an
    event pass that refuses aliases, deep nesting and huge documents before anything is built."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return yaml.load(text, Loader=_yaml_loader())
    depth = 0
    for events, event in enumerate(yaml.parse(text, Loader=fast), start=1):
        if isinstance(event, yaml.AliasEvent):
            raise InputError("not valid YAML here: anchors and aliases (& and *) are not accepted", path,
                             line=event.start_mark.line + 1 if event.start_mark else None)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > max_depth:
                raise InputError(f"nested deeper than {max_depth} levels", path,
                                 line=event.start_mark.line + 1 if event.start_mark else None)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
        if events > 2 * max_nodes:
            raise InputError(f"more than {max_nodes:,} values; this is not a document gutskin expects", path)
    return yaml.load(text, Loader=fast)  # libyaml's SafeLoader; aliases were refused above


_BRACKETS = re.compile(r"[\[\]{}]")


def _check_flow_depth(text: str, path: str | Path | None, max_depth: int) -> None:
    """Refuse deeply nested YAML flow collections before PyYAML sees them.

    PyYAML's scanner rechecks every open flow level per token, so 50,000 nested ``[`` take hours rather than
    raising; a linear pre-scan of the brackets keeps that from ever starting. (Brackets inside quoted strings
    count too; a document needs hundreds of unbalanced ones there to be refused by mistake.)
    """
    depth = 0
    for m in _BRACKETS.finditer(text):
        if m.group() in "[{":
            depth += 1
            if depth > max_depth:
                raise InputError(f"nested deeper than {max_depth} levels", path,
                                 line=text.count("\n", 0, m.start()) + 1)
        else:
            depth = max(depth - 1, 0)


def parse_document(text: str, path: str | Path | None = None, *, kind: str = "auto",
                   max_depth: int | None = None, max_nodes: int | None = None,
                   max_text: int | None = -1) -> Any:
    """Parse JSON or YAML text safely: no aliases, no recursion blow-up, bounded depth/size/text.

    ``kind`` is ``json``, ``yaml`` or ``auto`` (JSON when the name ends in .json or the text starts with
    ``{``/``[``; YAML otherwise — YAML is a superset of JSON, so a JSON document parses either way).
    ``max_text=None`` lifts the text-length check (BIOM JSON holds long lineage strings).
    """
    import yaml

    lim = _LIMITS
    max_depth = lim.max_depth if max_depth is None else max_depth
    max_nodes = lim.max_nodes if max_nodes is None else max_nodes
    max_text = lim.max_text_chars if max_text == -1 else max_text
    if kind == "auto":
        stripped = text.lstrip("\ufeff \t\r\n")
        is_json = stripped[:1] in ("{", "[") or (path is not None and str(path).lower().endswith(".json"))
        kind = "json" if is_json else "yaml"
    if kind == "yaml":
        _check_flow_depth(text, path, max_depth)
    try:
        # the YAML loader is a SafeLoader subclass that refuses aliases
        data = json.loads(text) if kind == "json" else _load_yaml(text, path, max_depth, max_nodes)
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path, line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"not valid YAML: {problem}", path, line=None if mark is None else mark.line + 1) from None
    except RecursionError:
        raise InputError(f"nested far deeper than the {max_depth}-level limit", path) from None
    except (ValueError, OverflowError) as exc:  # e.g. a number too long to convert
        raise InputError(f"not a valid document: {' '.join(str(exc).split())}", path) from None
    _check_tree(data, path, max_depth=max_depth, max_nodes=max_nodes, max_text=max_text)
    return data


def load_document(path: str | Path, *, kind: str = "auto", max_bytes: int | None = None, **kw: Any) -> Any:
    """Read and :func:`parse_document` a small JSON/YAML file (questionnaire, plan), refusing oversize files."""
    path = Path(path)
    cap = _LIMITS.max_document_bytes if max_bytes is None else max_bytes
    size = _raw_size(path)
    if size > cap:
        raise InputError(f"the file is {_human(size)}; a document like this is at most {_human(cap)}", path)
    text = read_text(path)
    if len(text.encode("utf-8", errors="replace")) > cap:
        raise InputError(f"decompresses past the {_human(cap)} limit for a document like this", path)
    return parse_document(text, path, kind=kind, **kw)


# ------------------------------------------------------------------------------------------------ writing

def _umask() -> int:
    try:  # Linux ≥ 4.7 reports it without changing it (os.umask would race with other threads)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        old = os.umask(0o022)
        os.umask(old)
    return old


_UMASK_LOCK = threading.Lock()


class _Terminated(BaseException):
    """SIGTERM arrived while an output was being written (the temporary file is removed, then exit 143)."""


@contextlib.contextmanager
def _sigterm_cleans_up() -> Iterator[None]:
    """While writing from the main thread, let SIGTERM unwind (so ``finally`` removes the temp file)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        yield
        return
    if previous not in (signal.SIG_DFL, None):
        yield  # someone else (a server) handles SIGTERM; leave it to them
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except _Terminated:
        raise SystemExit(143) from None
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _target(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise OutputError("the output folder does not exist", folder)
    if not folder.is_dir():
        raise OutputError("the output folder is not a folder", folder)
    if path.is_dir():
        raise OutputError("is a folder; give a file name to write", path)
    return path, folder


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[str]:
    """A temporary file name beside ``path`` for a library that writes by name; moved into place on success."""
    path, folder = _target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", folder) from None
    os.close(fd)
    try:
        with _sigterm_cleans_up():
            yield tmp
            _finish(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write the file ({exc.strerror or exc}); the previous file, if any, is "
                          "unchanged", path) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _finish(tmp: str, path: Path) -> None:
    _fsync_file(tmp)
    _move_into_place(tmp, path, 0o666 & ~_umask())
    _sync_folder(path.parent)


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_into_place(tmp: str, path: Path, new_mode: int) -> None:
    """Rename ``tmp`` over ``path``: a replaced file keeps its permissions, a new one gets ``new_mode``."""
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = new_mode
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _sync_folder(folder: Path) -> None:
    """The renames into ``folder`` survive a crash once it is synced (not every file system allows it)."""
    with contextlib.suppress(OSError):
        dfd = os.open(folder if str(folder) else ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, encoding: str = "utf-8",
                 newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path`` atomically."""
    if mode not in ("w", "wb"):
        raise ValueError("mode is 'w' or 'wb'")
    with atomic_path(path) as tmp:
        if mode == "wb":
            fh: IO[Any] = open(tmp, "wb")  # noqa: SIM115
        else:
            fh = open(tmp, "w", encoding=encoding, newline=newline)  # noqa: SIM115
        with fh:
            yield fh
            fh.flush()


class AtomicBatch:
    """Many files written atomically together: each is written to a temporary file beside it, and only when
    the batch is committed are they all made durable at once and moved into place.

    What :func:`write_atomic` does file by file, for a run that writes thousands of small files (a cohort's
    reports): one file-system sync per batch instead of two per file (a file's data, then its folder). No file
    is ever visible half-written; if the batch is not committed (an error, Ctrl-C, SIGTERM in the main thread),
    its temporary files are removed and nothing it wrote appears. Use it as a context manager: leaving the
    block of :func:`atomic_batch` normally commits.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, Path]] = []
        self._mode = 0o666 & ~_umask()

    def write(self, path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
        path, folder = _target(path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise OutputError(f"cannot write here ({exc.strerror or exc})", folder) from None
        self._pending.append((tmp, path))
        try:
            with open(fd, "wb") as fh:
                fh.write(data.encode(encoding) if isinstance(data, str) else data)
        except OSError as exc:
            raise OutputError(f"cannot write the file ({exc.strerror or exc})", path) from None
        return path

    def commit(self) -> None:
        pending, self._pending = self._pending, []
        try:
            _sync_data([tmp for tmp, _ in pending])
            for tmp, path in pending:
                _move_into_place(tmp, path, self._mode)
            for folder in dict.fromkeys(path.parent for _, path in pending):
                _sync_folder(folder)
        except OSError as exc:
            self._pending = pending  # for discard(): the files not yet moved into place are removed
            raise OutputError(f"cannot write the files ({exc.strerror or exc}); files not yet moved into place "
                              "were removed", pending[0][1].parent) from None

    def discard(self) -> None:
        pending, self._pending = self._pending, []
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


@contextlib.contextmanager
def atomic_batch() -> Iterator[AtomicBatch]:
    """An :class:`AtomicBatch` committed when the block ends normally, discarded otherwise."""
    batch = AtomicBatch()
    try:
        with _sigterm_cleans_up():
            yield batch
            batch.commit()
    finally:
        batch.discard()  # nothing left after a commit; else the temporary files


def _sync_data(paths: list[str]) -> None:
    """Make the files' data durable: one ``syncfs`` of their file system where Linux offers it (one journal
    commit for the lot), else an ``fsync`` per file."""
    if not paths:
        return
    syncfs = _syncfs()
    if syncfs is not None and len({os.stat(p).st_dev for p in paths}) == 1:
        fd = os.open(paths[0], os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for p in paths:
        _fsync_file(p)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        func = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int]
    func.restype = ctypes.c_int
    return func


def write_atomic(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text or bytes) to ``path`` atomically; returns the path."""
    if isinstance(data, str):
        with atomic_write(path, "w", encoding=encoding, newline="") as fh:
            fh.write(data)
    else:
        with atomic_write(path, "wb") as fh:
            fh.write(data)
    return Path(path)
