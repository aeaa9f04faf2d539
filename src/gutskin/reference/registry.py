"""Installed references (shipped and lab-built), and choosing the one that matches a profile's method."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import InputError, RefusedError
from ..profile import Profile
from .model import Reference

SUFFIX = ".ref.json.gz"


def user_dir() -> Path:
    """Where lab-built references live: ``$GUTSKIN_HOME/references`` or ``~/.local/share/gutskin/references``."""
    home = os.environ.get("GUTSKIN_HOME")
    base = Path(home) if home else Path.home() / ".local" / "share" / "gutskin"
    return base / "references"


def _shipped_paths() -> list[Path]:
    root = resources.files(__package__).joinpath("data")
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(SUFFIX))


@cache
def _load_shipped(path: str) -> Reference:
    return Reference.load_file(path)


def paths() -> dict[str, tuple[Path, str]]:
    """name → (file, 'shipped' | 'user'); a user reference never shadows a shipped one."""
    out: dict[str, tuple[Path, str]] = {}
    for p in _shipped_paths():
        out[p.name[: -len(SUFFIX)]] = (p, "shipped")
    udir = user_dir()
    if udir.is_dir():
        for p in sorted(udir.glob(f"*{SUFFIX}")):
            out.setdefault(p.name[: -len(SUFFIX)], (p, "user"))
    return out


def available() -> list[Reference]:
    return [load(name) for name in paths()]


def load(name: str) -> Reference:
    """A reference by name (see ``gutskin reference list``)."""
    found = paths().get(name)
    if found is None:
        raise InputError(f"no reference named {name!r}; installed: {', '.join(sorted(paths())) or 'none'}",
                         field="--reference")
    path, origin = found
    return _load_shipped(str(path)) if origin == "shipped" else Reference.load_file(path)


def install(ref: Reference, overwrite: bool = False) -> Path:
    if ref.name in paths() and paths()[ref.name][1] == "shipped":
        raise InputError(f"{ref.name!r} is the name of a shipped reference; choose another name", field="--name")
    udir = user_dir()
    udir.mkdir(parents=True, exist_ok=True)
    path = udir / f"{ref.name}{SUFFIX}"
    if path.exists() and not overwrite:
        raise InputError(f"a reference named {ref.name!r} exists already ({path}); use --force to replace it",
                         field="--name")
    ref.save(path)
    return path


@dataclass
class Choice:
    reference: Reference
    match: str  # exact | nearest | pinned
    caveats: list[str] = field(default_factory=list)


def _family(profiler: str | None) -> str:
    return (profiler or "unknown").split()[0].lower()


def _version(v: str | None) -> float | None:
    try:
        return float(v) if v else None
    except ValueError:
        return None


def _method_clash(profile: Profile, ref: Reference) -> str | None:
    methods = {i.method for i in profile.info} - {"unknown", "other"}
    if ref.method in ("16S", "shotgun") and methods and ref.method not in methods:
        return (f"this profile is {'/'.join(sorted(methods))} sequencing and the reference {ref.name!r} is "
                f"{ref.method}: their taxa and diversity are not comparable")
    return None


def _describe_profile(profile: Profile) -> str:
    i = profile.info[0]
    version = f" {i.profiler_version}" if i.profiler_version else ""
    db = f" ({i.database})" if i.database else ""
    return f"{i.profiler or 'an unknown profiler'}{version}{db}"


def choose(profile: Profile, name: str | None = None) -> Choice:
    """The reference for ``profile``: pinned by ``name``, else the best method match, with caveats.

    16S against shotgun (either way) is refused. With no exact match, the nearest reference of the same
    profiler family (then any family) is used, and the caveat says so.
    """
    info = profile.info[0]
    if name is not None:
        ref = load(name)
        clash = _method_clash(profile, ref)
        if clash:
            raise RefusedError(clash)
        caveats = _caveats(profile, ref)
        if ref.small:
            caveats.append(f"the reference has only {ref.n} people, so percentile intervals are wide")
        return Choice(ref, "pinned", caveats)
    refs = [r for r in available() if not r.small]
    comparable = [r for r in refs if _method_clash(profile, r) is None]
    if not comparable:
        clashes = [c for r in refs if (c := _method_clash(profile, r))]
        raise RefusedError(clashes[0] if clashes else "no installed reference; build one with "
                           "'gutskin reference build'")
    fam, ver = _family(info.profiler), _version(info.profiler_version)

    def distance(r: Reference) -> tuple:
        same_family = _family(r.profiler) == fam
        rv = _version(r.profiler_version)
        vdist = abs(rv - ver) if (rv is not None and ver is not None) else 9.0
        same_db = bool(info.database and r.database and info.database == r.database)
        return (not same_family, not same_db, vdist, -r.n)

    best = min(comparable, key=distance)
    caveats = _caveats(profile, best)
    return Choice(best, "exact" if not caveats else "nearest", caveats)


def _caveats(profile: Profile, ref: Reference) -> list[str]:
    info = profile.info[0]
    out = []
    if _family(info.profiler) != _family(ref.profiler):
        out.append(f"no reference profiled with {info.profiler or 'this profiler'} is installed; compared with "
                   f"{ref.title} ({ref.profiler}) instead. Different profilers name and detect taxa "
                   "differently, so percentiles are a rough guide only")
    elif (info.profiler_version and ref.profiler_version and info.profiler_version != ref.profiler_version) or (
            info.database and ref.database and info.database != ref.database):
        out.append(f"this sample was profiled with {_describe_profile(profile)}, the reference "
                   f"{ref.title!r} with {ref.profiler} {ref.profiler_version or ''} "
                   f"({ref.database or 'database not stated'}); species names and detection limits differ "
                   "between versions, so percentiles are approximate")
    if info.method == "unknown" or ref.method == "unknown":
        out.append("the sequencing method is not stated, so method matching was not possible")
    return out
