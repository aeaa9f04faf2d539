"""Settings a face hands to the engine: the engine itself never reads the environment.

A face (CLI, web app, cohort runner) builds one :class:`Settings` — usually with :meth:`Settings.from_environ`
on ``os.environ`` — and passes it to :meth:`gutskin.engine.Resources.load`. Everything below the faces takes
its configuration from here, so a server worker, a Dask task and a test can each use their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "gutskin"


@dataclass(frozen=True)
class Settings:
    """Plain configuration values (immutable, hashable, safe to share between threads).

    Attributes
    ----------
    home:
        Folder for user data; lab-built references live in ``home / "references"``.
    numba_cache_dir:
        Where numba may cache compiled kernels (``None``: numba's default beside the package). Set it for a
        read-only install; faces apply it with :func:`gutskin.engine.configure_numba` before any metric runs.
    max_samples:
        The largest number of samples one request may analyse (a server limit; ``None`` for no limit).
    bootstrap_seed:
        Seed for the panel intervals' bootstrap, so the same input gives the same interval.
    """

    home: Path | None = None
    numba_cache_dir: Path | None = None
    max_samples: int | None = None
    bootstrap_seed: int = 0

    @property
    def references_dir(self) -> Path:
        return (self.home or _default_home()) / "references"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from an environment mapping (a face passes ``os.environ``).

        ``GUTSKIN_HOME`` → :attr:`home`; ``GUTSKIN_NUMBA_CACHE_DIR`` (else ``NUMBA_CACHE_DIR``) →
        :attr:`numba_cache_dir`; ``GUTSKIN_MAX_SAMPLES`` → :attr:`max_samples`.
        """
        home = environ.get("GUTSKIN_HOME")
        cache = environ.get("GUTSKIN_NUMBA_CACHE_DIR") or environ.get("NUMBA_CACHE_DIR")
        limit = environ.get("GUTSKIN_MAX_SAMPLES")
        return cls(home=Path(home) if home else None, numba_cache_dir=Path(cache) if cache else None,
                   max_samples=int(limit) if limit and limit.isdigit() else None)
