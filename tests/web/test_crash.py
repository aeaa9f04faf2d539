"""A server killed with SIGKILL in the middle of uploads leaves no half record: every upload row has its bytes
(with the right hash), no bytes lack a row, and the restarted server works on the same database."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import select

from gutskin.store import Database, upgrade
from gutskin.store.models import Upload, UploadBlob

from ..conftest import FIXTURES
from ..store.dbutil import fresh_database

pytestmark = pytest.mark.slow
PROFILE = FIXTURES / "kraken2" / "multiqc__sample_01.report.txt"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, home, port: int, secure_cookie: bool = False) -> subprocess.Popen:
    env = {**os.environ, "GUTSKIN_DATABASE_URL": url, "GUTSKIN_HOME": str(home),
           "GUTSKIN_COOKIE_SECURE": "1" if secure_cookie else "0",
           "GUTSKIN_SECRET_KEY": "crash-test-key"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "gutskin.web.main:app", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def _logged_in(base: str, email: str, signup: bool) -> httpx.Client:
    c = httpx.Client(base_url=base, follow_redirects=True, timeout=60)
    page = c.get("/signup" if signup else "/login")
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": tok, "email": email, "password": "crash test passphrase"}
    if signup:
        form["consent"] = "yes"
    r = c.post("/signup" if signup else "/login", data=form)
    assert "My tests" in r.text
    return c


def _check(url: str) -> int:
    db = Database(url)
    try:
        with db.sessions() as s:
            ups = {u.id: u for u in s.scalars(select(Upload))}
            blobs = {b.upload_id: b for b in s.scalars(select(UploadBlob))}
            assert set(ups) == set(blobs)
            for uid, u in ups.items():
                assert hashlib.sha256(blobs[uid].data).hexdigest() == u.sha256 and len(blobs[uid].data) == u.size
            if db.backend == "sqlite":
                assert s.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        return len(ups)
    finally:
        db.dispose()


def test_kill_during_uploads_leaves_no_half_record(tmp_path):
    data = PROFILE.read_bytes()
    with fresh_database(tmp_path) as url:
        upgrade(url)
        port = _port()
        base = f"http://127.0.0.1:{port}"
        proc = _serve(url, tmp_path, port)
        try:
            client = _logged_in(base, "crash@example.org", signup=True)
            tok = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tests/new").text).group(1)
            done: list[int] = []

            def hammer() -> None:
                while True:
                    try:
                        r = client.post("/tests", data={"csrf_token": tok}, files={"file": ("k.txt", data)})
                        done.append(r.status_code)
                    except httpx.HTTPError:
                        return

            threads = [threading.Thread(target=hammer, daemon=True) for _ in range(4)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 60
            while len(done) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # uploads in flight
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            for t in threads:
                t.join(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        n = _check(url)
        assert n >= 3
        proc = _serve(url, tmp_path, port)
        try:
            again = _logged_in(base, "crash@example.org", signup=False)
            tok = re.search(r'name="csrf_token" value="([^"]+)"', again.get("/tests/new").text).group(1)
            r = again.post("/tests", data={"csrf_token": tok}, files={"file": ("k.txt", data)})
            assert r.status_code == 200 and "/tests/" in str(r.url)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        assert _check(url) == n + 1
