"""A partition's Profile that keeps its rank views (see :class:`PartitionProfile`)."""

from __future__ import annotations

import numpy as np

from ..profile import Profile


class PartitionProfile(Profile):
    """A partition's Profile that computes each rank view once.

    The driver asks for the same rank several times (alpha diversity, every index, composition, reference
    values), and rolling thousands of samples up to a rank is a sparse product each time. A Profile is not
    changed after it is built, so the views can be kept; the numbers are exactly those of a plain Profile.
    """

    def __init__(self, profile: Profile) -> None:
        # the parts of a Profile that was checked when it was built: taken as they are, not checked again
        self.values, self.samples, self.taxa = profile.values, profile.samples, profile.taxa
        self.info, self.layout = profile.info, profile.layout
        self._views: dict[str, Profile] = {}

    def at_rank(self, rank: str) -> Profile:
        view = self._views.get(rank)
        if view is None:
            view = self._views[rank] = super().at_rank(rank)
        return view

    def rank_totals(self, rank: str) -> np.ndarray:
        # a view built already holds just that rank's values: summing it reads a fraction of the matrix
        view = self._views.get(rank)
        return super().rank_totals(rank) if view is None else np.asarray(view.values.sum(axis=1)).ravel()
