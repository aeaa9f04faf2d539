"""A person's tests over time (issue #16): placeholder, filled below."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
