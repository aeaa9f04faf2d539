"""Uploads: real profiles in several formats, sample choice, and bad files refused with one line, nothing stored."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from gutskin.store.models import AuditEvent, Upload, UploadBlob

from ..conftest import FIXTURES
from .conftest import alert_of, client, count_rows, make_config, signup, token, upload


def _nothing_stored(config):
    assert count_rows(config, Upload) == 0 and count_rows(config, UploadBlob) == 0


@pytest.mark.parametrize("relpath", ["kraken2/multiqc__sample_01.report.txt",
                                     "metaphlan/gmwi2__SRR1761667_metaphlan.txt",
                                     "qiime2_qza/q2-feature-table__moving-pics-taxonomy-gg-13-8.qza"])
def test_real_profiles_are_stored_with_what_was_read(user, config, relpath):
    data = (FIXTURES / relpath).read_bytes()
    r = upload(user, relpath.split("/")[-1], data)
    if "qza" in relpath and r.status_code == 400:  # a taxonomy-only artifact is refused with the reader's line
        assert "taxonomy" in alert_of(r).lower()
        _nothing_stored(config)
        return
    assert r.status_code == 200, alert_of(r)
    assert "/tests/" in str(r.url)
    original = user.get(str(r.url.path) + "/original")
    assert original.content == data


def test_multi_sample_table_lets_the_person_pick(user):
    data = (FIXTURES / "metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt").read_bytes()
    r = upload(user, "merged.txt", data)
    assert "holds 3 samples" in r.text
    path = r.url.path
    bad = user.post(path + "/sample", data={"csrf_token": token(user), "sample": "nope"})
    assert bad.status_code == 400 and "Choose one" in alert_of(bad)
    ok = user.post(path + "/sample", data={"csrf_token": token(user), "sample": "Subj003_time1_S3_metaphlan3"})
    assert "Sample <strong>Subj003_time1_S3_metaphlan3</strong>" in ok.text


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _corrupt(data: bytes) -> bytes:
    b = bytearray(data)
    i = len(b) // 3
    b[i:i + 40] = bytes(40)
    return bytes(b)


BAD = {
    "empty": (b"", "empty"),
    "not a profile": (b"just some words\nand more words\n", "not a recognised profile format"),
    "negative abundance": (b"#mpa_v30_CHOCOPhlAn_201901\n#clade_name\tNCBI_tax_id\trelative_abundance\n"
                           b"k__Bacteria\t2\t-5\n", ""),
    "path traversal": (_zip({"../../etc/passwd": b"x" * 10}), "outside the archive"),
    "zip bomb": (_zip({"a.txt": b"0" * (20 * 1024 * 1024)}), "zip bomb"),
    "corrupted zip": (_corrupt(_zip({"a.txt": bytes(range(256)) * 400}, zipfile.ZIP_STORED)), "corrupted"),
    "gzip bomb": (gzip.compress(b"\0" * (80 * 1024 * 1024)), "bomb"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_uploads_get_one_clear_line_and_store_nothing(user, config, case):
    data, words = BAD[case]
    r = upload(user, "profile.txt", data)
    assert r.status_code == 400
    line = alert_of(r)
    assert line and "\n" not in line.strip() and "Traceback" not in r.text and "internal error" not in r.text
    assert words.lower() in line.lower()
    _nothing_stored(config)
    assert count_uploads_audited(config) == 0


def count_uploads_audited(config) -> int:
    from sqlalchemy import func, select

    from gutskin.store import Database

    db = Database(config.database_url)
    with db.sessions() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "upload.create"))
    db.dispose()
    return n


def test_oversized_upload_is_refused_before_reading(tmp_path, config):
    small = make_config(config.database_url, tmp_path, max_upload_bytes=1024)
    with client(small) as c:
        signup(c, "big@example.org")
        r = upload(c, "big.txt", b"x" * 5000)
        assert r.status_code == 413 and "limit" in alert_of(r)
    _nothing_stored(config)
