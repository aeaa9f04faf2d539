"""Seed the demo account for ``make serve`` (idempotent) and print how to log in.

    python scripts/seed_demo.py [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gutskin.store import Database, migrate
from gutskin.web.config import WebConfig
from gutskin.web.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="default: GUTSKIN_DATABASE_URL, else SQLite in GUTSKIN_HOME")
    ap.add_argument("--port", default="8000")
    args = ap.parse_args()
    config = WebConfig.from_environ(os.environ, **({"database_url": args.database_url} if args.database_url else {}))
    migrate.upgrade(config.database_url)
    db = Database(config.database_url)
    try:
        made = seed_demo(db, ROOT / "examples")
    finally:
        db.dispose()
    print(f"{'Created' if made else 'Kept'} the demo account. Open http://127.0.0.1:{args.port}/ and log in as "
          f"{DEMO_EMAIL} with the password: {DEMO_PASSWORD}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
