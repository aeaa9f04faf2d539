"""gutskin: gut-microbiome profiles to honest, evidence-graded skin insight.

Python entry points::

    import gutskin
    profile = gutskin.read("sample_profile.txt")          # any supported format
    table = profile.to_long(rank="species")                # the standard long table
"""

from __future__ import annotations

from .errors import InputError, RefusedError
from .profile import Profile, SampleInfo
from .readers import detect_format, read, read_many

__version__ = "0.1.0"

__all__ = ["InputError", "Profile", "RefusedError", "SampleInfo", "__version__", "detect_format", "read",
           "read_many"]
