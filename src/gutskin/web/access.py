"""The access rules, in one place.

- A person's own objects: the signed-in user owns the row (``user_id``), else 404 (never 403, which would say the
  object exists).
- A practitioner sees a client's objects only through a live grant (accepted, not revoked) whose grantee they are,
  and only what the grant's scope allows; anything else is 404 as well. Every such read is audited by the route.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..store.models import Grant
from .deps import Ctx, NotFound

T = TypeVar("T")

# What each grant scope lets a practitioner see or do.
SCOPE_ALLOWS = {
    "reports": {"reports"},
    "reports_diary": {"reports", "diary"},
    "upload": {"reports", "diary", "upload"},
}


MAX_ID = 2**31 - 1  # ids are 32-bit on every database; a bigger number names nothing


def _get(ctx: Ctx, model: type[T], object_id: Any) -> T | None:
    if isinstance(object_id, int) and not 1 <= object_id <= MAX_ID:
        return None
    return ctx.db.get(model, object_id)


def owned(ctx: Ctx, model: type[T], object_id: Any) -> T:
    obj = _get(ctx, model, object_id)
    if obj is None or ctx.user is None or getattr(obj, "user_id", None) != ctx.user.id:
        raise NotFound()
    return obj


def live_grant(ctx: Ctx, grant_id: int, need: str = "reports") -> Grant:
    """The grant ``grant_id`` if the signed-in user is its grantee, it is live and allows ``need``; else 404."""
    g = _get(ctx, Grant, grant_id)
    if (g is None or ctx.user is None or g.grantee_user_id != ctx.user.id or g.accepted_at is None
            or g.revoked_at is not None or need not in SCOPE_ALLOWS.get(g.scope, set())):
        raise NotFound()
    return g


def client_object(ctx: Ctx, grant: Grant, model: type[T], object_id: Any) -> T:
    """An object of the grant's client (the person who granted), else 404."""
    obj = _get(ctx, model, object_id)
    if obj is None or getattr(obj, "user_id", None) != grant.user_id:
        raise NotFound()
    return obj
