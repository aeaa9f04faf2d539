"""The one atomic-write helper: a target is the old file or the whole new one, never a half; no temp left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gutskin
from gutskin.errors import InputError, OutputError
from gutskin.io import atomic_path, atomic_write, write_atomic
from tests.conftest import fixture

MPA3 = fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_atomic_writes_text_and_bytes(tmp_path):
    write_atomic(tmp_path / "a.txt", "héllo\n")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failure_mid_write_keeps_the_old_file_and_removes_the_temp(tmp_path, failure):
    target = tmp_path / "plan.json"
    target.write_text("the old plan\n")
    with pytest.raises(type(failure)), atomic_write(target) as fh:
        fh.write("half of a new pl")
        raise failure
    assert target.read_text() == "the old plan\n"
    assert _leftovers(tmp_path) == []


def test_outputs_get_the_umask_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.tsv", "x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.tsv").stat().st_mode & 0o777 == 0o644


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "shared.tsv"
    target.write_text("old\n")
    target.chmod(0o640)
    write_atomic(target, "new\n")
    assert target.stat().st_mode & 0o777 == 0o640 and target.read_text() == "new\n"


def test_a_missing_folder_or_a_folder_target_is_one_clear_error(tmp_path):
    with pytest.raises(OutputError, match="output folder does not exist"):
        write_atomic(tmp_path / "nope" / "x.tsv", "x")
    with pytest.raises(OutputError, match="is a folder"):
        write_atomic(tmp_path, "x")
    assert issubclass(OutputError, InputError)  # the CLI prints it as one line, exit 2


def test_disk_full_while_syncing_is_an_output_error_and_the_old_file_survives(tmp_path, monkeypatch):
    target = tmp_path / "scores.tsv"
    target.write_text("old scores\n")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_atomic(target, "new scores\n" * 1000)
    assert target.read_text() == "old scores\n"
    assert _leftovers(tmp_path) == []


def test_atomic_path_for_libraries_that_write_by_name(tmp_path):
    target = tmp_path / "t.parquet"
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(b"PAR1")
        assert not target.exists()
    assert target.read_bytes() == b"PAR1" and _leftovers(tmp_path) == []


def test_every_convert_target_is_written_atomically_with_the_umask(tmp_path):
    profile = gutskin.read(MPA3)
    old = os.umask(0o022)
    try:
        for to in ("tsv", "csv", "parquet", "biom"):
            out = tmp_path / f"out.{to}"
            profile.write(str(out), to=to)
            assert out.stat().st_mode & 0o777 == 0o644
            if to != "parquet":
                back = gutskin.read(out)
                assert back.n_samples == 1
    finally:
        os.umask(old)
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_during_a_write_removes_the_temp_file(tmp_path):
    # a process killed while writing leaves neither a half-written target nor a temporary file behind
    target = tmp_path / "big.tsv"
    target.write_text("old\n")
    script = textwrap.dedent(f"""
        import sys, time
        from gutskin.io import atomic_write
        with atomic_write({str(target)!r}) as fh:
            fh.write("partial")
            fh.flush()
            print("writing", flush=True)
            time.sleep(30)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------- batches
def test_a_batch_appears_whole_on_commit(tmp_path):
    from gutskin.io import atomic_batch

    (tmp_path / "b.html").write_text("old b\n")
    (tmp_path / "b.html").chmod(0o640)
    old = os.umask(0o022)
    try:
        with atomic_batch() as batch:
            batch.write(tmp_path / "a.html", "héllo")
            batch.write(tmp_path / "b.html", b"new b")
            # nothing is in place before the commit: only temporary files
            assert (tmp_path / "b.html").read_text() == "old b\n" and not (tmp_path / "a.html").exists()
    finally:
        os.umask(old)
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "a.html").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.html").read_bytes() == b"new b" and (tmp_path / "b.html").stat().st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_batch_writes_nothing_and_leaves_no_temp(tmp_path, failure):
    from gutskin.io import atomic_batch

    (tmp_path / "b.html").write_text("old b\n")
    with pytest.raises(type(failure)), atomic_batch() as batch:
        batch.write(tmp_path / "a.html", "a")
        batch.write(tmp_path / "b.html", "b")
        raise failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html"]
    assert (tmp_path / "b.html").read_text() == "old b\n"


def test_a_batch_without_syncfs_syncs_each_file_and_a_failed_sync_writes_nothing(tmp_path, monkeypatch):
    from gutskin import io as gio
    from gutskin.io import atomic_batch

    monkeypatch.setattr(gio, "_syncfs", lambda: None)
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    with atomic_batch() as batch:
        batch.write(tmp_path / "a.json", "{}")
        batch.write(tmp_path / "b.json", "{}")
    assert len(synced) == 3  # each file, then the folder once
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"), atomic_batch() as batch:
        batch.write(tmp_path / "c.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


def test_the_batch_uses_syncfs_on_linux(tmp_path, monkeypatch):
    from gutskin import io as gio
    from gutskin.io import atomic_batch

    if gio._syncfs() is None:
        pytest.skip("no syncfs in this C library")
    calls = []
    real = gio._syncfs()
    monkeypatch.setattr(gio, "_syncfs", lambda: lambda fd: (calls.append(fd), real(fd))[1])
    with atomic_batch() as batch:
        for i in range(5):
            batch.write(tmp_path / f"{i}.html", "x")
    assert len(calls) == 1 and len(list(tmp_path.iterdir())) == 5
