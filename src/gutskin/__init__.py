"""gutskin: gut-microbiome profiles to honest, evidence-graded skin insight.

Python entry points::

    import gutskin
    profile = gutskin.read("sample_profile.txt")          # any supported format
    table = profile.to_long(rank="species")                # the standard long table
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from .errors import InputError, RefusedError

if TYPE_CHECKING:
    from .profile import Profile, SampleInfo
    from .readers import detect_format, read, read_many

__version__ = "0.1.0"

#: imported on first use: the data model and the readers bring pandas and scipy (half a second), which a process
#: that only coordinates work (a cohort run's parent, ``--help``) does not need
_LAZY = {"Profile": ".profile", "SampleInfo": ".profile", "detect_format": ".readers", "read": ".readers",
         "read_many": ".readers"}


__getattr__ = lazy_exports(__name__, globals(), _LAZY)

__all__ = ["InputError", "Profile", "RefusedError", "SampleInfo", "__version__", "detect_format", "read",
           "read_many"]
