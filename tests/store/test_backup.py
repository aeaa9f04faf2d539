"""``gutskin admin backup`` / ``restore``: a round trip keeps every row of every table (SQLite, and PostgreSQL when
GUTSKIN_TEST_DATABASE_URL is set), and restore refuses what it must refuse with one line and exit 2."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select
from typer.testing import CliRunner

from gutskin.cli import app as cli_app
from gutskin.errors import InputError
from gutskin.store import Database, backup, upgrade
from gutskin.store.models import (
    ApiToken,
    AuditEvent,
    BuiltReport,
    Consent,
    DiaryEntry,
    DiaryRevision,
    Grant,
    Person,
    QuestionnaireAnswers,
    TrialPlan,
    Upload,
    UploadBlob,
    User,
    WebSession,
    utcnow,
)

from .dbutil import backend, fresh_database

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "SRR1761667_metaphlan.txt"


def _fill(db: Database) -> None:
    """Two accounts with a row in every table, including bytes, JSON, dates and non-ASCII text."""
    raw = EXAMPLE.read_bytes()
    now = utcnow()
    with db.transaction() as s:
        a = User(email="anna@example.org", password_hash="$argon2id$x", role="person", display_name="Änna")
        p = User(email="prac@example.org", password_hash="$argon2id$y", role="practitioner",
                 disabled_at=now)
        s.add_all([a, p])
        s.flush()
        me = Person(user_id=a.id, name="me")
        s.add_all([me, Person(user_id=p.id, name="me"),
                   Consent(user_id=a.id, text_version="1", text_sha256="0" * 64, ip="127.0.0.1")])
        s.flush()
        up = Upload(user_id=a.id, person_id=me.id, filename="SRR1761667_metaphlan.txt", size=len(raw),
                    sha256=hashlib.sha256(raw).hexdigest(), format="metaphlan", profiler="MetaPhlAn",
                    samples=["SRR1761667"], sample="SRR1761667", n_taxa=42)
        s.add(up)
        s.flush()
        s.add(UploadBlob(upload_id=up.id, user_id=a.id, data=raw + bytes(range(256))))
        s.add(QuestionnaireAnswers(user_id=a.id, person_id=me.id, version=1, schema_version="1",
                                   answers={"about_you": {"age_group": "adult"}, "note": "Milch → Hautausschlag"}))
        rep = BuiltReport(user_id=a.id, upload_id=up.id, questionnaire_version=1, schema_version="3",
                          gutskin_version="0", report_json=json.dumps({"x": [1, 2.5, None]}))
        s.add(rep)
        s.flush()
        trial = TrialPlan(user_id=a.id, person_id=me.id, report_id=rep.id, food="dairy", condition="acne",
                          start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 2, 15), plan={"design": "ABA"})
        s.add(trial)
        s.flush()
        entry = DiaryEntry(user_id=a.id, trial_id=trial.id, day=dt.date(2026, 1, 6), skin_score=4.5, itch=2.0,
                           adhered=True, notes="ok", covariates={"stress": 3})
        s.add(entry)
        s.flush()
        s.add(DiaryRevision(user_id=a.id, entry_id=entry.id, revision=1, values={"skin_score": 4.5}))
        s.add(AuditEvent(actor_user_id=p.id, subject_user_id=a.id, action="client.report.read",
                         object_type="report", object_id=rep.id, detail={"via": "api"}))
        s.add(WebSession(id="a" * 64, user_id=a.id, csrf_token="c", expires_at=now + dt.timedelta(hours=1)))
        s.add(Grant(user_id=a.id, grantee_user_id=p.id, scope="reports_diary", accepted_at=now))
        s.add(ApiToken(user_id=p.id, name="lab", token_hash="b" * 64, prefix="gsk_abcd", scopes=["read"],
                       expires_at=now + dt.timedelta(days=30)))


def _dump(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, as comparable tuples (datetimes in UTC, bytes as bytes)."""
    engine = create_engine(url)
    out: dict[str, list[tuple]] = {}
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn)
            for t in meta.sorted_tables:
                rows = conn.execute(select(t).order_by(*t.primary_key.columns)).all()
                out[t.name] = [tuple(_norm(v) for v in r) for r in rows]
    finally:
        engine.dispose()
    return out


def _norm(v):
    if isinstance(v, dt.datetime):
        return (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, str) and v[:1] in "{[":  # JSON kept as text on SQLite
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


@pytest.fixture
def filled(db):
    _fill(db)
    return db


def test_round_trip_keeps_every_row(filled, tmp_path):
    before = _dump(filled.url)
    assert all(before[t] for t in before if t != "throttle"), "the fixture should fill every table"
    file = tmp_path / "b.zip"
    info = backup.backup(filled.url, file, gutskin_version="test")
    assert info.backend == backend() and info.rows["uploads"] == 1 and info.rows["users"] == 2
    with zipfile.ZipFile(file) as zf:
        assert json.loads(zf.read(backup.MANIFEST))["format"] == backup.FORMAT
    with fresh_database(tmp_path / "target") as url:
        restored = backup.restore(file, url)
        assert restored.rows == info.rows
        assert _dump(url) == before
        target = Database(url)
        try:  # ids continue after the restored ones (PostgreSQL sequences were reset)
            with target.transaction() as s:
                s.add(User(email="new@example.org", password_hash="h"))
            with target.sessions() as s:
                ids = s.scalars(select(User.id).order_by(User.id)).all()
                assert len(ids) == 3 and ids[-1] > ids[-2]
                blob = s.scalars(select(UploadBlob)).one()
                assert blob.data[:-256] == EXAMPLE.read_bytes()
        finally:
            target.dispose()


def test_backup_file_is_written_atomically(filled, tmp_path):
    file = tmp_path / "b.zip"
    file.write_bytes(b"previous backup")
    # a database without the gutskin schema: nothing to back up
    with fresh_database(tmp_path / "empty") as empty, pytest.raises(InputError):
        backup.backup(empty, file)
    assert file.read_bytes() == b"previous backup"  # a failed backup leaves the old file as it was
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b.zip")] == []
    backup.backup(filled.url, file)
    assert zipfile.is_zipfile(file)


def test_restore_refuses_a_populated_target_unless_replace(filled, tmp_path):
    file = tmp_path / "b.zip"
    backup.backup(filled.url, file)
    with pytest.raises(InputError, match="holds 2 account"):
        backup.restore(file, filled.url)
    with filled.transaction() as s:  # a change after the backup is gone after restoring it with --replace
        s.add(User(email="later@example.org", password_hash="h"))
    filled.dispose()
    backup.restore(file, filled.url, replace=True)
    assert [u for _, u, *_ in _dump(filled.url)["users"]] == ["anna@example.org", "prac@example.org"]


def _with_manifest(src: Path, dst: Path, **changes) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == backup.MANIFEST:
                data = json.dumps({**json.loads(data), **changes}).encode()
            zout.writestr(item, data)
    return dst


def test_restore_refuses_foreign_newer_and_mismatched_files(filled, tmp_path):
    good = tmp_path / "b.zip"
    backup.backup(filled.url, good)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("readme.txt", "not a backup")
    newer = _with_manifest(good, tmp_path / "newer.zip", revision="9999_future", gutskin_version="9.0")
    other_kind = "postgresql" if backend() == "sqlite" else "sqlite"
    wrong = _with_manifest(good, tmp_path / "wrong.zip", backend=other_kind)
    cases = [(text, "not a gutskin backup"), (other_zip, "not a gutskin backup"),
             (newer, "newer than this gutskin knows"), (wrong, f"this is a {other_kind} backup"),
             (tmp_path / "missing.zip", "no such file")]
    with fresh_database(tmp_path / "target") as url:
        for file, message in cases:
            with pytest.raises(InputError, match=message):
                backup.restore(file, url)
        # the command line: one line on stderr, exit 2, no traceback
        for file, message in cases[1:3]:
            proc = subprocess.run([sys.executable, "-m", "gutskin", "admin", "restore", str(file),
                                   "--database-url", url], capture_output=True, text=True, timeout=300)
            assert proc.returncode == 2, proc.stderr
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1 and message in lines[0], proc.stderr


def test_cli_round_trip(filled, tmp_path):
    file = tmp_path / "cli.zip"
    runner = CliRunner()
    r = runner.invoke(cli_app, ["admin", "backup", str(file), "--database-url", filled.url])
    assert r.exit_code == 0, r.output
    assert "backed up" in r.stderr
    with fresh_database(tmp_path / "target") as url:
        Database(url).dispose()  # creates a SQLite file's folder
        upgrade(url)  # an empty but migrated target is fine without --replace
        r = runner.invoke(cli_app, ["admin", "restore", str(file), "--database-url", url])
        assert r.exit_code == 0, r.output
        assert _dump(url) == _dump(filled.url)
