"""The one MetaPhlAn version rule: which MetaPhlAn made a profile, from what the file says.

Readers (MetaPhlAn text, merged tables, BIOM ``generated_by``) and the choice of a method-matched reference
both need the answer, and two rules would disagree on the same file. MetaPhlAn states its database, not its
own version; the mapping below follows the database releases:

==========================  =========  ==============================================================
database (``#mpa_…`` line)   version    note
==========================  =========  ==============================================================
``mpa_v20_m200`` / ``v20``   2          MetaPhlAn 2 (2015–2019)
``v29`` / ``v296``           2.9        MetaPhlAn 2.9 / 2.96
``mpa_v30`` / ``mpa_v31``    3          MetaPhlAn 3; MetaPhlAn 4 can run on them too, and then writes
                                        the ``#… reads processed`` line, which tells it apart
``mpa_vJan21``…``_SGB…``     4          MetaPhlAn 4 (species-level genome bins)
==========================  =========  ==============================================================
"""

from __future__ import annotations

import re

__all__ = ["major", "metaphlan_version", "version_from_generated_by"]


def metaphlan_version(database: str | None, *, reads_line: bool = False) -> str | None:
    """``"2"``, ``"2.9"``, ``"3"``, ``"4"`` or None (unknown) from the database name and the reads line."""
    if database is None:
        return "4" if reads_line else None
    db = database.strip()
    if db.startswith(("mpa_v20", "v20")):
        return "2"
    if db.startswith(("v29", "v296")):
        return "2.9"
    if db.startswith(("mpa_v30", "mpa_v31")):
        return "4" if reads_line else "3"
    if "SGB" in db or db.startswith(("mpa_vJan", "mpa_vOct", "mpa_vJun")):
        return "4"
    return "4" if reads_line else None


def version_from_generated_by(text: str | None) -> str | None:
    """The version in a BIOM ``generated_by`` such as ``MetaPhlAn 4.0.6`` or ``MetaPhlAn v2.0``."""
    m = re.search(r"v?(\d+(?:\.\d+)*[\w.+\-]*)", text or "")
    return m.group(1).rstrip(",") if m else None


def major(version: str | None) -> int | None:
    """The major version as a number (``"2.9"`` → 2, ``"4.1.1"`` → 4), or None when absent or unreadable."""
    m = re.match(r"\s*v?(\d+)", str(version)) if version else None
    return int(m.group(1)) if m else None
