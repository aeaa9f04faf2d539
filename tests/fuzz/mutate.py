"""Seeded mutations of real profile files: what a disk, a network, a spreadsheet or a person does to them.

Every mutation is a pure function of (bytes, random.Random) → (name, bytes), so a case is reproduced from
its seed alone. The kinds follow issue 13: truncation, byte flips, line edits, bad numbers, encodings,
compression and archive damage, HDF5 damage, JSON/YAML bombs, huge fields, line endings.
"""

from __future__ import annotations

import bz2
import gzip
import io
import random
import re
import zipfile
from collections.abc import Callable

Mutation = Callable[[bytes, random.Random], bytes]

BAD_NUMBERS = [b"inf", b"-inf", b"nan", b"NaN", b"-1", b"1e309", b"-0.5", b"x", b"", b"1,5", b"0x10",
               b"99999999999999999999999999", b"1e-400", b"12.3.4", b"\xff", b"--", b"1e", b"+", b" "]
NUMBER = re.compile(rb"(?<![\w.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def _plain(data: bytes) -> bytes:
    """Decompressed content of a gzip/bz2 fixture (mutations act on what the reader sees)."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    return data


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(0, max(len(data), 1))]


def truncate_mid_line(data: bytes, rng: random.Random) -> bytes:
    """Cut inside a line near the end (a download that stopped), never on a newline."""
    if len(data) < 4:
        return data[:1]
    cut = rng.randrange(max(len(data) * 3 // 4, 1), len(data))
    while cut > 1 and data[cut - 1:cut] in (b"\n", b"\r"):
        cut -= 1
    return data[:cut]


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def delete_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    if len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return b"\n".join(lines)


def delete_first_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    return b"\n".join(lines[rng.randint(1, min(3, max(len(lines) - 1, 1))):])


def bad_number(data: bytes, rng: random.Random) -> bytes:
    spans = [m.span() for m in NUMBER.finditer(data[:2_000_000])]
    if not spans:
        return flip_bytes(data, rng)
    a, b = rng.choice(spans)
    return data[:a] + rng.choice(BAD_NUMBERS) + data[b:]


def huge_number(data: bytes, rng: random.Random) -> bytes:
    spans = [m.span() for m in NUMBER.finditer(data[:2_000_000])]
    if not spans:
        return data
    a, b = rng.choice(spans)
    return data[:a] + b"9" * rng.choice([20, 400, 5000]) + data[b:]


def edit_cells(data: bytes, rng: random.Random) -> bytes:
    """Add or remove a tab/comma in a line, or blank a cell."""
    lines = _lines(data)
    i = rng.randrange(len(lines))
    ln = lines[i]
    op = rng.randrange(3)
    if op == 0:
        pos = rng.randrange(len(ln) + 1)
        lines[i] = ln[:pos] + rng.choice([b"\t", b",", b'"']) + ln[pos:]
    elif op == 1:
        lines[i] = ln.replace(b"\t", b"", 1) if b"\t" in ln else ln.replace(b",", b"", 1)
    else:
        cells = ln.split(b"\t")
        cells[rng.randrange(len(cells))] = b""
        lines[i] = b"\t".join(cells)
    return b"\n".join(lines)


def line_endings(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", rng.choice([b"\r", b"\r\n", b"\n\n"]))


def encoding(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    enc = rng.choice(["utf-16", "utf-16-le", "latin-1", "utf-8-sig", "cp1252", "utf-32"])
    return text.encode(enc, errors="replace")


def huge_field(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    filler = rng.choice([b"A", b"x;", b'"', b"\t"]) * rng.choice([100_000, 1_100_000])
    pos = rng.randrange(len(lines[i]) + 1)
    lines[i] = lines[i][:pos] + filler + lines[i][pos:]
    return b"\n".join(lines)


def nest(data: bytes, rng: random.Random) -> bytes:
    """Deep nesting: JSON brackets or YAML flow lists inserted where a value goes."""
    depth = rng.choice([200, 5_000, 100_000])
    bomb = b"[" * depth + b"]" * depth
    pos = data.find(b":")
    if pos < 0:
        return bomb + data
    return data[: pos + 1] + bomb + b"," + data[pos + 1:]


def gzip_damage(data: bytes, rng: random.Random) -> bytes:
    packed = gzip.compress(data, mtime=0)
    op = rng.randrange(3)
    if op == 0:
        return packed[: rng.randrange(2, len(packed))]
    if op == 1:
        return flip_bytes(packed[:10], rng) + packed[10:] if rng.random() < 0.3 else flip_bytes(packed, rng)
    return packed + b"garbage after the gzip member"


def bz2_damage(data: bytes, rng: random.Random) -> bytes:
    packed = bz2.compress(data)
    return packed[: rng.randrange(3, len(packed))] if rng.random() < 0.5 else flip_bytes(packed, rng)


def gzip_bomb(data: bytes, rng: random.Random) -> bytes:
    """A small gzip that expands far past its size (kept modest so the smoke run stays fast)."""
    return gzip.compress(data[:200] + b"0" * (120 * 1024**2), compresslevel=1, mtime=0)


def zip_damage(data: bytes, rng: random.Random) -> bytes:
    """Damage a .qza: a member's bytes, its metadata.yaml, or the compression method."""
    try:
        zin = zipfile.ZipFile(io.BytesIO(data))
        infos = zin.infolist()
    except Exception:
        return flip_bytes(data, rng)
    op = rng.randrange(6)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in infos:
            body = zin.read(info)
            name = info.filename
            if name.count("/") == 1 and name.endswith("metadata.yaml"):
                if op == 0:
                    body = b"uuid: \xff\xfe\nformat: \xe9\ntype: FeatureTable[Frequency]\n"
                elif op == 1:
                    body = b"type: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"
                elif op == 2:
                    body = (b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\ntype: FeatureTable[Frequency]\n")
            if op == 3 and name.endswith("feature-table.biom"):
                body = flip_bytes(body, rng)
            if op == 4 and name.endswith("feature-table.biom"):
                body = body[: rng.randrange(1, max(len(body), 2))]
            zout.writestr(info, body)
    packed = out.getvalue()
    if op == 5:  # an unsupported compression method id in the first local header (NotImplementedError)
        buf = bytearray(packed)
        buf[8:10] = (rng.choice([1, 6, 97, 99])).to_bytes(2, "little")
        packed = bytes(buf)
    return packed


MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "truncate_mid_line": truncate_mid_line,
    "flip_bytes": flip_bytes,
    "delete_line": delete_line,
    "duplicate_line": duplicate_line,
    "delete_first_lines": delete_first_lines,
    "bad_number": bad_number,
    "huge_number": huge_number,
    "edit_cells": edit_cells,
    "line_endings": line_endings,
    "encoding": encoding,
    "huge_field": huge_field,
    "nest": nest,
    "gzip_damage": gzip_damage,
    "bz2_damage": bz2_damage,
    "zip_damage": zip_damage,
}
#: mutations that make big files; drawn less often and skipped in the smoke run's budget
SLOW = {"gzip_bomb": gzip_bomb}


def mutate(data: bytes, rng: random.Random, *, allow_slow: bool = False) -> tuple[str, bytes]:
    """One seeded mutation of a fixture's bytes: (mutation name, damaged bytes)."""
    plain = _plain(data)
    if data[:4] == b"PK\x03\x04" and rng.random() < 0.6:
        return "zip_damage", zip_damage(data, rng)
    if allow_slow and rng.random() < 0.002:
        return "gzip_bomb", gzip_bomb(plain, rng)
    name = rng.choice(sorted(MUTATIONS))
    damaged = MUTATIONS[name](plain, rng)
    if rng.random() < 0.1 and name not in ("gzip_damage", "bz2_damage"):
        name, damaged = name + "+gzip", gzip.compress(damaged, mtime=0)  # damage inside a good gzip
    return name, damaged
