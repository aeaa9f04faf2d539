"""The ASGI app built from the environment (``uvicorn gutskin.web.main:app``; ``gutskin serve`` uses it)."""

from __future__ import annotations

import os

from .app import create_app
from .config import WebConfig

app = create_app(WebConfig.from_environ(os.environ, migrate_on_start=False))
