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
    #: "full": taxa and metrics are placed; "transferable": only quantities shown to transfer across the
    #: naming/version difference are placed (see :data:`TRANSFERABLE`), with :data:`VERSION_MARGIN` added
    scope: str = "full"


#: quantities placed across MetaPhlAn versions or profilers. scripts/transfer_study.py (docs/transfer.md) places healthy
#: people of one version in another version's reference: no metric kept both tails under 40 % in every pairing
#: (diversity, indices, guilds and taxa all shift), so nothing is placed across versions until a quantity passes.
TRANSFERABLE: tuple[str, ...] = ()
#: added to both ends of a percentile interval when the reference was profiled with another version
VERSION_MARGIN = 0.15


def _family(profiler: str | None) -> str:
    return (profiler or "unknown").split()[0].lower()


def _version(v: str | None) -> float | None:
    try:
        return float(str(v).split(".")[0]) if v else None
    except ValueError:
        return None


def _method_clash(profile: Profile, ref: Reference) -> str | None:
    methods = {i.method for i in profile.info} - {"unknown", "other"}
    if ref.method in ("16S", "shotgun") and methods and ref.method not in methods:
        return (f"this profile is {'/'.join(sorted(methods))} sequencing and the reference {ref.name!r} is "
                f"{ref.method}: their taxa and diversity are not comparable")
    return None


def taxonomy_family(text: str | None) -> str | None:
    """greengenes | gtdb | silva | ncbi | None, from a database name or a reference's taxonomy field."""
    t = (text or "").lower()
    if "greengenes2" in t or "gg2" in t or "gtdb" in t:
        return "gtdb"  # Greengenes2 is GTDB-derived
    if "greengenes" in t or "gg_13" in t or "gg 13" in t:
        return "greengenes"
    if "silva" in t:
        return "silva"
    return None


def profile_taxonomy(profile: Profile) -> str | None:
    """The naming database family of a 16S profile: stated (database, the taxonomy reader's style), else read
    from its phylum names (GTDB suffixes and -ota endings vs Greengenes' Firmicutes/Bacteroidetes)."""
    info = profile.info[0]
    style = str(info.extra.get("taxonomy_style") or "")
    fam = taxonomy_family(info.database) or taxonomy_family(style) or (
        "gtdb" if style == "gtdb-style" else None)
    if fam:
        return fam
    phyla = set(profile.taxa["phylum"].dropna().astype(str))
    # GTDB's bacterial phyla end in -ota (Bacteroidota, Actinobacteriota …) or carry a suffix (Firmicutes_A);
    # the archaeal -archaeota names (Euryarchaeota, Crenarchaeota) are old names Greengenes uses too, and a
    # Greengenes gut table with Methanobrevibacter in it was read as GTDB and compared with GTDB genera
    if any(p.endswith(("_A", "_B", "_C", "_D")) or (p.endswith("ota") and not p.endswith("archaeota"))
           for p in phyla):
        return "gtdb"
    if phyla & {"Firmicutes", "Bacteroidetes", "Proteobacteria"}:
        return "greengenes"
    return None


def _describe_profile(profile: Profile) -> str:
    i = profile.info[0]
    version = f" {i.profiler_version}" if i.profiler_version else ""
    db = f" ({i.database})" if i.database else ""
    return f"{i.profiler or 'an unknown profiler'}{version}{db}"


def _size_caveat(ref: Reference) -> str | None:
    if not ref.small:
        return None
    from .build import _half_width

    return (f"the reference has only {ref.n} people, so percentile intervals are wide (about "
            f"±{_half_width(ref.n):.0%} at the median)")


def relation(profile: Profile, ref: Reference) -> str:
    """How a profile's method and naming relate to a reference's: exact | cross_version | cross_naming | clash."""
    if _method_clash(profile, ref):
        return "clash"
    info = profile.info[0]
    if ref.method == "16S" or info.method == "16S":
        mine, theirs = profile_taxonomy(profile), taxonomy_family(ref.taxonomy or ref.database)
        return "exact" if (mine and theirs and mine == theirs) else "cross_naming"
    if _family(info.profiler) != _family(ref.profiler):
        return "cross_naming"
    pv, rv = _version(info.profiler_version), _version(ref.profiler_version)
    if pv is not None and rv is not None and pv == rv:
        return "exact"
    return "cross_version"


def select(profile: Profile, refs: list[Reference], *, pinned: Reference | None = None,
           age_group: str | None = None) -> Choice:
    """The reference for ``profile`` among ``refs`` (or the ``pinned`` one), by everything the profile says.

    Method (16S vs shotgun) must match, and so must the age group: an infant is never compared with adults
    (refused when no infant reference exists). Then the same naming (MetaPhlAn major version; for 16S the
    taxonomy database family) is preferred, small references included (their size is a caveat); across
    MetaPhlAn versions only :data:`TRANSFERABLE` quantities are placed; across profilers or 16S databases the
    comparison is refused.
    """
    age = "infant" if age_group == "infant" else "adult"
    if pinned is not None:
        rel = relation(profile, pinned)
        if rel == "clash":
            raise RefusedError(_method_clash(profile, pinned))
        if pinned.age_group != age:
            raise RefusedError(f"the reference {pinned.name!r} describes {pinned.age_group}s and this person is "
                               f"an {age}: their gut communities are not comparable")
        caveats = _caveats(profile, pinned) + [c for c in [_size_caveat(pinned)] if c]
        return Choice(pinned, "pinned", caveats, "full" if rel == "exact" else "transferable")
    same_method = [r for r in refs if relation(profile, r) != "clash"]
    if not same_method:
        clashes = [c for r in refs if (c := _method_clash(profile, r))]
        raise RefusedError(clashes[0] if clashes else "no installed reference; build one with "
                           "'gutskin reference build'")
    same_age = [r for r in same_method if r.age_group == age]
    if not same_age:
        raise RefusedError(f"no healthy {age} reference profiled this way is installed; comparing an {age} with "
                           f"{same_method[0].age_group}s would be misleading")
    exact = [r for r in same_age if relation(profile, r) == "exact"]
    if exact:
        best = max(exact, key=lambda r: (r.n, r.name))
        caveats = _caveats(profile, best) + [c for c in [_size_caveat(best)] if c]
        return Choice(best, "exact" if not _caveats(profile, best) else "nearest", caveats, "full")
    version = [r for r in same_age if relation(profile, r) == "cross_version"]
    if version:
        pv = _version(profile.info[0].profiler_version)
        best = min(version, key=lambda r: (abs((_version(r.profiler_version) or 9) - (pv or 0)), -r.n))
        caveats = _caveats(profile, best) + [c for c in [_size_caveat(best)] if c]
        caveats.append("nothing is placed across profiler versions: tested on healthy people, no quantity kept its "
                       "place between MetaPhlAn versions (docs/transfer.md); values are shown without a healthy "
                       "comparison")
        return Choice(best, "nearest", caveats, "transferable")
    info = profile.info[0]
    if info.method != "16S":
        # another profiler (Kraken, mOTUs, an unnamed table): the largest same-method reference, and only the
        # quantities that transfer, with the naming difference in the caveats and the interval
        others = [r for r in same_age if r.method != "16S"]
        if others:
            best = max(others, key=lambda r: (r.n, r.name))
            caveats = _caveats(profile, best) + [c for c in [_size_caveat(best)] if c]
            caveats.append("no reference made with this profiler is installed, and no quantity was shown to transfer "
                           "between profilers, so nothing is placed against a healthy reference")
            return Choice(best, "nearest", caveats, "transferable")
    if info.method == "16S":
        raise RefusedError(f"no 16S reference named with the same taxonomy database "
                           f"({profile_taxonomy(profile) or 'unknown'}) is installed; 16S genera from different "
                           "databases are defined differently (e.g. Bacteroides vs Phocaeicola)")
    raise RefusedError(f"no reference profiled with {info.profiler or 'this profiler'} is installed; different "
                       "profilers name and detect taxa differently, so no placement is made")


def choose(profile: Profile, name: str | None = None, *, age_group: str | None = None) -> Choice:
    """The reference for ``profile``: pinned by ``name``, else the best method match (see :func:`select`)."""
    if name is not None:
        return select(profile, [], pinned=load(name), age_group=age_group)
    return select(profile, available(), age_group=age_group)


def _caveats(profile: Profile, ref: Reference) -> list[str]:
    info = profile.info[0]
    out = []
    if info.method == "16S" and ref.method == "16S":
        # for amplicons the naming database decides comparability (checked in relation()); the pipeline and
        # the 16S region still differ, which the reference's notes state
        pass
    elif _family(info.profiler) != _family(ref.profiler):
        out.append(f"this profile ({_describe_profile(profile)}) was made differently from the reference "
                   f"{ref.title} ({ref.profiler}, {ref.taxonomy or ref.database or 'database not stated'})")
    elif (info.profiler_version and ref.profiler_version
          and _version(info.profiler_version) != _version(ref.profiler_version)):
        out.append(f"this sample was profiled with {_describe_profile(profile)}, the reference "
                   f"{ref.title!r} with {ref.profiler} {ref.profiler_version or ''} "
                   f"({ref.database or 'database not stated'}); species names and detection limits differ "
                   "between versions")
    if info.method == "unknown" or ref.method == "unknown":
        out.append("the sequencing method is not stated, so method matching was not possible")
    return out
