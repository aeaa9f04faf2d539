"""The reference store: built-in and user references, listed, loaded once and chosen for a profile.

A store belongs to one :class:`~gutskin.engine.Resources` (so to one settings object); it caches every
reference it has loaded. References are treated as read-only once loaded.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import InputError, RefusedError
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

    def choose(self, profile: Profile, name: str | None = None) -> registry.Choice:
        """The reference for ``profile``: pinned by ``name``, else the best method match, with caveats.

        The same rules as :func:`gutskin.reference.choose`, over this store's references.
        """
        if name is not None:
            ref = self.load(name)
            clash = registry._method_clash(profile, ref)
            if clash:
                raise RefusedError(clash)
            caveats = registry._caveats(profile, ref)
            if ref.small:
                caveats.append(f"the reference has only {ref.n} people, so percentile intervals are wide")
            return registry.Choice(ref, "pinned", caveats)
        refs = [r for r in self.available() if not r.small]
        comparable = [r for r in refs if registry._method_clash(profile, r) is None]
        if not comparable:
            clashes = [c for r in refs if (c := registry._method_clash(profile, r))]
            raise RefusedError(clashes[0] if clashes else "no installed reference; build one with "
                               "'gutskin reference build'")
        info = profile.info[0]
        fam, ver = registry._family(info.profiler), registry._version(info.profiler_version)

        def distance(r: Reference) -> tuple:
            rv = registry._version(r.profiler_version)
            vdist = abs(rv - ver) if (rv is not None and ver is not None) else 9.0
            same_db = bool(info.database and r.database and info.database == r.database)
            return (registry._family(r.profiler) != fam, not same_db, vdist, -r.n)

        best = min(comparable, key=distance)
        caveats = registry._caveats(profile, best)
        return registry.Choice(best, "exact" if not caveats else "nearest", caveats)
