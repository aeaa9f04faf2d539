"""The reference store: built-in and user references, listed, loaded once and chosen for a profile.

A store belongs to one :class:`~gutskin.engine.Resources` (so to one settings object); it caches every
reference it has loaded. References are treated as read-only once loaded.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import InputError
from ..profile import Profile
from ..reference import registry
from ..reference.model import Reference


class ReferenceStore:
    """Shipped references plus those in ``user_dir``; a user reference never shadows a shipped one."""

    def __init__(self, user_dir: Path | None) -> None:
        self.user_dir = user_dir
        self._cache: dict[Path, Reference] = {}
        self._lock = threading.Lock()

    def paths(self) -> dict[str, tuple[Path, str]]:
        """name → (file, ``"shipped"`` | ``"user"``)."""
        out: dict[str, tuple[Path, str]] = {}
        for p in registry._shipped_paths():
            out[p.name[: -len(registry.SUFFIX)]] = (p, "shipped")
        if self.user_dir is not None and self.user_dir.is_dir():
            for p in sorted(self.user_dir.glob(f"*{registry.SUFFIX}")):
                out.setdefault(p.name[: -len(registry.SUFFIX)], (p, "user"))
        return out

    def names(self) -> list[str]:
        return sorted(self.paths())

    def load(self, name: str) -> Reference:
        """A reference by name; :class:`InputError` for an unknown name."""
        found = self.paths().get(name)
        if found is None:
            raise InputError(f"no reference named {name!r}; installed: {', '.join(self.names()) or 'none'}",
                             field="--reference")
        path = found[0]
        with self._lock:
            ref = self._cache.get(path)
            if ref is None:
                ref = self._cache[path] = Reference.load_file(path)
        return ref

    def available(self) -> list[Reference]:
        return [self.load(n) for n in self.paths()]

    def choose(self, profile: Profile, name: str | None = None, *, age_group: str | None = None
               ) -> registry.Choice:
        """The reference for ``profile``: pinned by ``name``, else the best match among this store's references.

        The rules are :func:`gutskin.reference.registry.select` (method, age group, naming); only the list of
        candidates comes from this store.
        """
        if name is not None:
            return registry.select(profile, [], pinned=self.load(name), age_group=age_group)
        return registry.select(profile, self.available(), age_group=age_group)
