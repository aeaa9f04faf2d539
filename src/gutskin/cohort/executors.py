"""Where partition tasks run: in this process, a local process pool, or an existing dask.distributed cluster.

One function is mapped over partition ids; results come back as they finish. A task is a whole partition
(thousands of samples), so even a million-sample cohort is a few hundred tasks: scheduling costs nothing
next to the work. gutskin starts no scheduler of its own: ``--dask`` connects to one that runs already
(``dask scheduler`` by hand, dask-jobqueue on SLURM/PBS, dask-kubernetes, or a ``LocalCluster``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError


@dataclass(frozen=True)
class Executor:
    """How to run tasks: ``workers`` local processes (1: in this process) or a Dask scheduler address."""

    workers: int = 1
    dask: str | None = None
    #: seconds to wait for the Dask scheduler to answer
    connect_timeout: float = 30.0

    def describe(self) -> str:
        if self.dask:
            return f"Dask cluster at {self.dask}"
        return "this process" if self.workers <= 1 else f"{self.workers} local processes"

    def map(self, func: Callable[[str], Any], items: Sequence[str]) -> Iterator[tuple[str, Any]]:
        """``(item, func(item))`` for every item, in the order they finish."""
        if not items:
            return iter(())
        if self.dask:
            return _dask_map(self.dask, func, items, self.connect_timeout)
        if self.workers <= 1:
            return ((item, func(item)) for item in items)
        return _pool_map(self.workers, func, items)


def default_workers() -> int:
    """One process per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: thread pools of the numeric libraries, one thread each in a pool worker: the pool already runs one process
#: per core, and a worker's own threads would only compete with the other workers for the same cores
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                      "NUMBA_NUM_THREADS")}


@contextlib.contextmanager
def _child_environment(changes: dict[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block (spawned children copy the environment
    when they start, and the numeric libraries read these when they load); restored afterwards."""
    saved = {k: os.environ.get(k) for k in changes}
    os.environ.update({k: v for k, v in changes.items() if saved[k] is None})  # a user's own setting wins
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pool_map(workers: int, func: Callable[[str], Any], items: Sequence[str]) -> Iterator[tuple[str, Any]]:
    # spawn, not fork: the parent may hold threads (the progress bar, numba's pool) that fork would copy broken
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=ctx) as pool:
        with _child_environment(_ONE_THREAD):  # the workers start on the first submissions
            futures = {pool.submit(func, item): item for item in items}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def connect(address: str, timeout: float = 30.0) -> Any:
    """A ``distributed.Client`` for a scheduler address (``tcp://host:8786``) or a scheduler file (``*.json``)."""
    from distributed import Client

    try:
        if address.endswith(".json") and Path(address).is_file():
            return Client(scheduler_file=address, timeout=f"{timeout}s")
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach a Dask scheduler at {address!r} ({exc}); start one first (see "
                         "docs/cohort.md) or leave out --dask", field="--dask") from None


def _dask_map(address: str, func: Callable[[str], Any], items: Sequence[str],
              timeout: float) -> Iterator[tuple[str, Any]]:
    from distributed import as_completed as dask_completed

    client = connect(address, timeout)
    try:
        futures = client.map(func, list(items), pure=False, key=[f"gutskin-{i}" for i in _unique_keys(items)])
        owner = {f.key: item for f, item in zip(futures, items, strict=True)}
        for fut in dask_completed(futures):
            result = fut.result()
            yield owner[fut.key], result
            fut.release()
    finally:
        client.close()


def _unique_keys(items: Sequence[str]) -> list[str]:
    import uuid

    run = uuid.uuid4().hex[:12]
    return [f"{run}-{item}" for item in items]
