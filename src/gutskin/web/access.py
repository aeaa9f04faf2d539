"""The one access rule for objects named in a URL: the signed-in user owns it, else 404 (never 403, which would
say the object exists). Practitioner grants (issue #15) will be checked here too."""

from __future__ import annotations

from typing import Any, TypeVar

from .deps import Ctx, NotFound

T = TypeVar("T")


def owned(ctx: Ctx, model: type[T], object_id: Any) -> T:
    obj = ctx.db.get(model, object_id)
    if obj is None or ctx.user is None or getattr(obj, "user_id", None) != ctx.user.id:
        raise NotFound()
    return obj
